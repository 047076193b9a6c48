package dev.nagare.udf.parse;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SqlStatementsTest {
    @Test
    void verbs() {
        assertThat(SqlStatements.verb("GRANT ALL PRIVILEGES ON *.* TO 'mallory'@'%'")).isEqualTo("GRANT");
        assertThat(SqlStatements.verb("  /* migration 42 */ create user 'a'@'%' IDENTIFIED BY *****")).isEqualTo("CREATE USER");
        assertThat(SqlStatements.verb("ALTER ROLE app WITH PASSWORD *****")).isEqualTo("ALTER USER");
        assertThat(SqlStatements.verb("DROP TABLE IF EXISTS orders")).isEqualTo("DROP TABLE");
        assertThat(SqlStatements.verb("CREATE TEMPORARY TABLE t (id int)")).isEqualTo("CREATE TABLE");
        assertThat(SqlStatements.verb("SET PASSWORD FOR 'bob'@'%' = *****")).isEqualTo("SET PASSWORD");
        assertThat(SqlStatements.verb("truncate table cart")).isEqualTo("TRUNCATE");
        assertThat(SqlStatements.verb("SELECT id FROM notes WHERE body LIKE '%grant access%'")).isEqualTo("SELECT");
        assertThat(SqlStatements.verb("-- just a comment\nUPDATE t SET a = 1")).isEqualTo("UPDATE");
        assertThat(SqlStatements.verb("   ")).isNull();
        assertThat(SqlStatements.verb(null)).isNull();
    }

    @Test
    void tables() {
        assertThat(SqlStatements.tables("SELECT o.id FROM orders o JOIN `customers` c ON c.id = o.cid WHERE note = 'from x'"))
                .containsExactly("orders", "customers");
        assertThat(SqlStatements.tables("INSERT INTO audit.note (body) VALUES ('a')")).containsExactly("audit.note");
        assertThat(SqlStatements.tables("UPDATE wallets SET balance = 0")).containsExactly("wallets");
        assertThat(SqlStatements.tables("SELECT * FROM a, b WHERE a.id = b.id")).containsExactly("a", "b");
        assertThat(SqlStatements.tables("DROP TABLE IF EXISTS public.promo")).containsExactly("public.promo");
        assertThat(SqlStatements.tables("SELECT 1")).isEmpty();
    }
}
