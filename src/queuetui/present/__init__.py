"""Plain text and JSON for every noun, shared by the CLI and the console. No I/O."""
