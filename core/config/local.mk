# owned by the core/config area; filled in by its author
