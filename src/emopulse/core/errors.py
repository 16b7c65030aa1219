"""Errors that mean bad input or settings: the CLI prints them as one line, not a traceback."""


class EmopulseError(ValueError):
    pass


class InputError(EmopulseError):
    """Bad input, found before inference starts; the message names the file and column."""


class BundleError(EmopulseError):
    """A model path that cannot be served."""


class OutputError(EmopulseError):
    """An output directory that cannot be (re)used."""
