# owned by the core/cli area; filled in by its author
