"""Runbook skeletons generated from the model: ``dagcheck runbook``."""
