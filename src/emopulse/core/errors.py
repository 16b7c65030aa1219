"""Every user-facing failure: the CLI prints it as one line and exits with the class's code.

| code | meaning |
| --- | --- |
| 0 | success |
| 1 | an unexpected error (a bug: the traceback is printed) |
| 2 | command-line usage error (argparse) |
| 3 | the export accuracy gate refused every candidate (bundle written, not ready) |
| 10 | bad settings or options (EmopulseError) |
| 11 | bad input data: missing file, column, type, label (InputError) |
| 12 | a model or bundle that cannot be served (BundleError) |
| 13 | an output directory that cannot be (re)used (OutputError) |
| 14 | out of disk space or another OS resource (ResourceError) |
| 15 | object storage failed: endpoint unreachable, credentials refused (StorageError); finished parts are kept, --resume continues |
| 130 / 143 | interrupted by SIGINT / SIGTERM: finished parts are kept, resume with --resume |
"""


class EmopulseError(ValueError):
    exit_code = 10


class InputError(EmopulseError):
    """Bad input, found before inference starts where possible; the message names the file and column."""

    exit_code = 11


class BundleError(EmopulseError):
    """A model path that cannot be served."""

    exit_code = 12


class OutputError(EmopulseError):
    """An output directory that cannot be (re)used."""

    exit_code = 13


class ResourceError(EmopulseError):
    """The machine ran out of something (disk space)."""

    exit_code = 14


class StorageError(EmopulseError):
    """Object storage that does not answer or refuses the credentials (core.storage.explain)."""

    exit_code = 15


class Terminated(BaseException):
    """SIGTERM, raised in the main thread like KeyboardInterrupt is for SIGINT."""
