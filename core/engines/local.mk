# owned by the core/engines area; filled in by its author
