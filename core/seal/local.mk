# owned by the core/seal area; filled in by its author
