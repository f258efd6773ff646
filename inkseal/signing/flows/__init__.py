"""Sign flows (签署流程): several signers on the same documents, in steps; see docs/sign-flows.md."""
