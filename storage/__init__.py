"""Storage: the only place that holds SQL. aiosqlite, versioned migrations, repositories."""
