# owned by the core/http area; filled in by its author
