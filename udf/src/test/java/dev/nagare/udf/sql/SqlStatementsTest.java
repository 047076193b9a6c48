package dev.nagare.udf.sql;

import dev.nagare.udf.Hostile;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SqlStatementsTest {
    private static final int MB = 1024 * 1024;

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

    @Test
    void tableListsReadLikeTheirGrammar() {
        assertThat(SqlStatements.tables("CREATE TABLE IF NOT EXISTS `shop`.`cart` (id int)")).containsExactly("shop.cart");
        assertThat(SqlStatements.tables("SELECT * FROM ONLY `Public`.`Orders`")).containsExactly("public.orders");
        assertThat(SqlStatements.tables("TRUNCATE a , b,c")).containsExactly("a", "b", "c");
        // Where IF/ONLY are not followed by a name, they are the name (as a backtracking regex reads them).
        assertThat(SqlStatements.tables("DROP TABLE IF EXISTS ;")).containsExactly("if");
        assertThat(SqlStatements.tables("SELECT * FROM only")).containsExactly("only");
        // A schema without a name after its dot is the name; a list stops at the first non-name.
        assertThat(SqlStatements.tables("SELECT * FROM a. b")).containsExactly("a");
        assertThat(SqlStatements.tables("SELECT * FROM a, (SELECT 1), b")).containsExactly("a");
        // Word boundaries as java.util.regex \b sees them: no boundary inside a word, letters of any script included.
        assertThat(SqlStatements.tables("SELECT xFROM y, éFROM z, _FROM w")).isEmpty();
        assertThat(SqlStatements.tables("SELECT a$b FROM c$d JOIN lateral")).containsExactly("c$d");
    }

    @Test
    void literalsOfEveryDialectAndCommentsAreBlanked() {
        assertThat(SqlStatements.blankLiteralsAndComments("a 'it''s' \"q\\\"\" b")).isEqualTo("a '' '' b");
        assertThat(SqlStatements.blankLiteralsAndComments("x = E'\\'FROM t' y")).isEqualTo("x = E'' y");
        assertThat(SqlStatements.blankLiteralsAndComments("AS $$ SELECT 1 FROM t $$ LANGUAGE sql")).isEqualTo("AS '' LANGUAGE sql");
        assertThat(SqlStatements.blankLiteralsAndComments("AS $fn$ a $x$ b $fn$;")).isEqualTo("AS '';");
        assertThat(SqlStatements.blankLiteralsAndComments("IDENTIFIED BY \\'p,w\\' x")).isEqualTo("IDENTIFIED BY '' x");
        assertThat(SqlStatements.blankLiteralsAndComments("a /* c */ b -- d\ne # f\ng")).isEqualTo("a   b  \ne  \ng");
        // Not literals: a parameter, a dollar inside an identifier, a tag longer than an identifier can be.
        assertThat(SqlStatements.blankLiteralsAndComments("$1 a$b$ $" + "t".repeat(64) + "$"))
                .isEqualTo("$1 a$b$ $" + "t".repeat(64) + "$");
        assertThat(SqlStatements.tables("CREATE FUNCTION f() AS $$ SELECT * FROM secret $$ LANGUAGE sql")).isEmpty();
        assertThat(SqlStatements.verb("/* GRANT */ -- GRANT\n# GRANT\nSELECT 'GRANT'")).isEqualTo("SELECT");
    }

    @Test
    void unterminatedLiteralsAndCommentsRunToTheEnd() {
        assertThat(SqlStatements.blankLiteralsAndComments("SELECT 'abc FROM t")).isEqualTo("SELECT ''");
        assertThat(SqlStatements.blankLiteralsAndComments("SELECT 1 /* FROM t")).isEqualTo("SELECT 1  ");
        assertThat(SqlStatements.blankLiteralsAndComments("SELECT $x$ FROM t")).isEqualTo("SELECT ''");
        assertThat(SqlStatements.blankLiteralsAndComments("SELECT \\'x FROM t")).isEqualTo("SELECT ''");
        assertThat(SqlStatements.blankLiteralsAndComments("SELECT 'x\\")).isEqualTo("SELECT ''");
        assertThat(SqlStatements.tables("SELECT 'abc FROM t")).isEmpty();
    }

    @Test
    void literalEndOfEachForm() {
        assertThat(SqlStatements.literalEnd("'ab''c' x", 0)).isEqualTo(7);
        assertThat(SqlStatements.literalEnd("e'a\\'b' x", 0)).isEqualTo(7);
        assertThat(SqlStatements.literalEnd("\\'a\\' x", 0)).isEqualTo(5);
        assertThat(SqlStatements.literalEnd("$t$a$t$ x", 0)).isEqualTo(7);
        assertThat(SqlStatements.literalEnd("'open", 0)).isEqualTo(5);
        assertThat(SqlStatements.literalEnd("abc", 0)).isEqualTo(-1);
        assertThat(SqlStatements.literalEnd("$1", 0)).isEqualTo(-1);
        assertThat(SqlStatements.literalEnd("x", 5)).isEqualTo(-1);
    }

    /** The measured bug: an Aurora audit query with a 5,000-20,000 char literal overflowed the stack in the literal regex. */
    @Test
    void aLongLiteralDoesNotOverflowTheStack() {
        for (int length : new int[] {5_000, 20_000, 4 * MB}) {
            String sql = "INSERT INTO blobs (body) VALUES ('" + "x".repeat(length) + "')";
            assertThat(Hostile.run(() -> SqlStatements.verb(sql))).isEqualTo("INSERT");
            assertThat(Hostile.run(() -> SqlStatements.tables(sql))).containsExactly("blobs");
            String quoted = "SELECT \"" + "\\\"".repeat(length) + "\" FROM t";
            assertThat(Hostile.run(() -> SqlStatements.tables(quoted))).containsExactly("t");
        }
    }

    /** The table-list regex repeated a group per name: a list of a million names overflowed the stack. */
    @Test
    void aLongTableListDoesNotOverflowTheStack() {
        String sql = "SELECT * FROM " + "t,".repeat(2 * MB) + "last";
        assertThat(Hostile.run(() -> SqlStatements.tables(sql))).containsExactly("t", "last");
    }

    @Test
    void hostileStatementsTakeOnePass() {
        String[] statements = {
            "FROM ".repeat(MB),
            "DROP TABLE IF EXISTS ".repeat(MB / 4),
            "FROM" + " ".repeat(4 * MB) + "(",
            "SELECT " + "/*".repeat(2 * MB),
            "SELECT " + "'".repeat(4 * MB),
            "SELECT " + "\\'".repeat(2 * MB),
            "$" + "a".repeat(60) + "$ " + ("$" + "a".repeat(60) + "b").repeat(MB / 16),
            " ".repeat(4 * MB),
            "CREATE" + " ".repeat(4 * MB),
        };
        for (String sql : statements) {
            Hostile.run(() -> SqlStatements.verb(sql));
            Hostile.run(() -> SqlStatements.tables(sql));
        }
    }
}
