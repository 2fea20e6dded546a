"""Storage: the only place that holds SQL. SQLite, versioned migrations, repositories."""
