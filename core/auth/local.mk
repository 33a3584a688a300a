# owned by the core/auth area; filled in by its author
