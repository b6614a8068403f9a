"""Field instances: work offline on a local store, sync with headquarters (docs/field.md)."""
