# owned by the test area; filled in by its author
