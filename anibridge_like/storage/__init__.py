"""SQLite storage: connections and pragmas, the one writer, migrations."""
