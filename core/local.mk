# owned by the core area; filled in by its author
