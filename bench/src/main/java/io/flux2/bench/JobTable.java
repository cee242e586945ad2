package io.flux2.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** Looks at job-service's table directly, to count committed rows and to empty it between phases. */
final class JobTable {

    private final String jdbcUrl;

    JobTable(String jdbcUrl) {
        this.jdbcUrl = jdbcUrl;
    }

    long count() throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select count(*) from jobs.jobs")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    void clear() throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("truncate jobs.jobs cascade");
        }
    }

    private Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl, "postgres", "");
    }
}
