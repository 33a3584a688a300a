# owned by the plugins area; filled in by its author
