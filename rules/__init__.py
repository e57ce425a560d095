"""The checklist: one YAML file per area, installed as ``dagcheck.checklist_data``."""
