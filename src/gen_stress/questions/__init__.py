"""Questions over the typed elements of a page (gen_stress.scenes.page): one small
function per question kind, and the table that says which kind each family's subtask
asks in a real-world context."""
