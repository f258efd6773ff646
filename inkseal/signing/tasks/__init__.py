"""Sign tasks, from a platform's API call to the signed files: spec → planning → create →
confirm → execute, with lifecycle (stalled and expired tasks), signers and errors beside them.
Import the module that owns a step (`from inkseal.signing.tasks import create`)."""
