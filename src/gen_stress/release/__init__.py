"""Versioned releases: manifests, building them with a lock file, and verifying them."""

from gen_stress.release.build import Release, Verification, build_release, verify_release
from gen_stress.release.lock import LOCK_NAME, MANIFEST_NAME, read_lock
from gen_stress.release.manifest import Manifest, ManifestError, load_manifest, parse_manifest

__all__ = [
    "LOCK_NAME", "MANIFEST_NAME", "Manifest", "ManifestError", "Release", "Verification", "build_release",
    "load_manifest", "parse_manifest", "read_lock", "verify_release",
]
