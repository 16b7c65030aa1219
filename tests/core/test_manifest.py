"""The bundle manifest is a typed record read in one place; the shipped one round-trips unchanged."""

import json
import os

import pytest

import emopulse.model
from emopulse.core.errors import BundleError
from emopulse.core.manifest import BundleManifest, read_manifest, write_manifest


def test_the_shipped_manifest_round_trips():
    path = os.path.dirname(emopulse.model.__file__)
    raw = json.load(open(os.path.join(path, "manifest.json")))
    m = read_manifest(path)
    assert m.ready is True and m.precision == "int8-weights" and m.max_length == 128 and m.extra == {}
    assert m.to_dict() == raw


def test_unknown_keys_are_kept_and_wrong_types_refused(tmp_path):
    write_manifest(str(tmp_path), BundleManifest.from_dict({"ready": True, "precision": "fp32", "future": [1]}))
    m = read_manifest(str(tmp_path))
    assert m.extra == {"future": [1]} and json.load(open(tmp_path / "manifest.json"))["future"] == [1]
    (tmp_path / "manifest.json").write_text(json.dumps({"ready": True, "max_length": "128"}))
    with pytest.raises(BundleError, match="max_length is str") as err:
        read_manifest(str(tmp_path))
    assert "\n" not in str(err.value)
    (tmp_path / "manifest.json").write_text("[1, 2]")
    with pytest.raises(BundleError, match="not a JSON object"):
        read_manifest(str(tmp_path))


def test_checkpoint_dir_resolves_relative_to_the_bundle(tmp_path):
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "config.json").write_text("{}")
    m = BundleManifest(ready=True, source_checkpoint="../ckpt")
    assert m.checkpoint_dir(str(tmp_path / "bundle")) == str(tmp_path / "ckpt")
    assert BundleManifest(ready=True, source_checkpoint="../../../runs/x").checkpoint_dir(str(tmp_path)) is None
