package dev.nagare.udf.redact;

import dev.nagare.udf.Hostile;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class RedactorTest {
    private static final int MB = 1024 * 1024;
    @Test
    void masksSqlPasswords() {
        assertThat(Redactor.redact("ALTER USER 'app'@'%' IDENTIFIED BY 'n3w;Pass'"))
                .isEqualTo("ALTER USER 'app'@'%' IDENTIFIED BY *****");
        assertThat(Redactor.redact("CREATE USER u IDENTIFIED WITH mysql_native_password BY 'x''y'"))
                .isEqualTo("CREATE USER u IDENTIFIED WITH mysql_native_password BY *****");
        assertThat(Redactor.redact("SET PASSWORD FOR 'bob'@'%' = 'hunter2'")).isEqualTo("SET PASSWORD FOR 'bob'@'%' = *****");
        assertThat(Redactor.redact("SELECT PASSWORD('hunter2')")).isEqualTo("SELECT PASSWORD(*****)");
        assertThat(Redactor.redact("CHANGE MASTER TO MASTER_USER='r', MASTER_PASSWORD='s3cret'"))
                .isEqualTo("CHANGE MASTER TO MASTER_USER='r', MASTER_PASSWORD=*****");
        assertThat(Redactor.redact("ALTER ROLE app WITH PASSWORD 'pg-secret'")).isEqualTo("ALTER ROLE app WITH PASSWORD *****");
    }

    @Test
    void masksPasswordsInRawAuditLines() {
        assertThat(Redactor.redact("1717236902118204,db,dba,h,5,6,QUERY,mysql,'ALTER USER \\'a\\'@\\'%\\' IDENTIFIED BY \\'p,w\\'',0"))
                .isEqualTo("1717236902118204,db,dba,h,5,6,QUERY,mysql,'ALTER USER \\'a\\'@\\'%\\' IDENTIFIED BY *****',0");
    }

    @Test
    void leavesOrdinaryStatementsAlone() {
        String sql = "SELECT id FROM users WHERE password_changed_at < NOW() AND note = 'identified'";
        assertThat(Redactor.redact(sql)).isEqualTo(sql);
        assertThat(Redactor.redact(null)).isNull();
    }

    @Test
    void masksTokensKeysAndUrlCredentials() {
        assertThat(Redactor.redact("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"))
                .isEqualTo("Authorization: Bearer *****");
        assertThat(Redactor.redact("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
                .isEqualTo("aws_secret_access_key=*****");
        assertThat(Redactor.redact("connecting to postgres://app:pa55word@db:5432/x"))
                .isEqualTo("connecting to postgres://app:*****@db:5432/x");
    }

    @Test
    void masksOnlyLuhnValidCardNumbers() {
        assertThat(Redactor.redact("card 4111 1111 1111 1111 charged")).isEqualTo("card *****1111 charged");
        assertThat(Redactor.redact("card 4111-1111-1111-1112 charged")).isEqualTo("card 4111-1111-1111-1112 charged");
        assertThat(Redactor.redact("order 1717236902118204 done")).isEqualTo("order 1717236902118204 done");
        assertThat(Redactor.luhnValid("79927398713")).isTrue();
    }
    @Test
    void masksPostgresEscapeAndDollarQuotedPasswords() {
        assertThat(Redactor.redact("ALTER ROLE app PASSWORD E'pa\\'ss' VALID UNTIL 'infinity'"))
                .isEqualTo("ALTER ROLE app PASSWORD ***** VALID UNTIL 'infinity'");
        assertThat(Redactor.redact("CREATE ROLE app PASSWORD $$pa'ss$$ LOGIN")).isEqualTo("CREATE ROLE app PASSWORD ***** LOGIN");
        assertThat(Redactor.redact("CREATE ROLE app PASSWORD $pw$pa$$ss$pw$ LOGIN")).isEqualTo("CREATE ROLE app PASSWORD ***** LOGIN");
        assertThat(Redactor.redact("GRANT ... IDENTIFIED BY PASSWORD '*ABC'")).isEqualTo("GRANT ... IDENTIFIED BY PASSWORD *****");
        assertThat(Redactor.redact("SET PASSWORD FOR u = PASSWORD('x')")).isEqualTo("SET PASSWORD FOR u = PASSWORD(*****)");
        assertThat(Redactor.redact("CREATE USER u IDENTIFIED AS 'hash'")).isEqualTo("CREATE USER u IDENTIFIED AS *****");
    }

    @Test
    void masksAnUnterminatedPasswordToTheEnd() {
        // A line cut mid-password (at the line bound, or by the sender) must not leak its start.
        assertThat(Redactor.redact("ALTER USER u IDENTIFIED BY 'n3w;Pa")).isEqualTo("ALTER USER u IDENTIFIED BY *****");
        assertThat(Redactor.redact("QUERY,'ALTER USER \\'a\\' IDENTIFIED BY \\'p,w")).isEqualTo("QUERY,'ALTER USER \\'a\\' IDENTIFIED BY *****");
    }

    @Test
    void keywordsInsideWordsAreNotClauses() {
        String text = "xPASSWORD 'a' éIDENTIFIED BY 'b' SET PASSWORDS = 'c' OLD_PASSWORDx('d')";
        assertThat(Redactor.redact(text)).isEqualTo(text);
    }

    /** The quoted-string regex recursed per character: a long password literal overflowed the stack. */
    @Test
    void aLongPasswordLiteralDoesNotOverflowTheStack() {
        for (int length : new int[] {5_000, 20_000, 4 * MB}) {
            String sql = "ALTER USER u IDENTIFIED BY '" + "x".repeat(length) + "' REQUIRE SSL";
            assertThat(Hostile.run(() -> Redactor.redact(sql))).isEqualTo("ALTER USER u IDENTIFIED BY ***** REQUIRE SSL");
            String raw = "QUERY,'SET PASSWORD = \\'" + "\\\\".repeat(length) + "\\'',0";
            assertThat(Hostile.run(() -> Redactor.redact(raw))).isEqualTo("QUERY,'SET PASSWORD = *****',0");
        }
    }

    /** Each pattern on the text that made it backtrack, or made each of a million attempts scan to the end. */
    @Test
    void hostileTextTakesOnePass() {
        String[] texts = {
            "SET PASSWORD ".repeat(MB / 4), // each SET PASSWORD looked for its '=' to the end: quadratic
            "SET PASSWORD ".repeat(MB / 8) + "=" + " ".repeat(2 * MB) + "x",
            "PASSWORD(".repeat(MB / 2),
            "password " + "'\\".repeat(MB),
            "password \\'".repeat(MB / 4),
            "password $a$".repeat(MB / 4),
            "IDENTIFIED WITH ".repeat(MB / 4),
            "IDENTIFIED WITH " + "x".repeat(4 * MB),
            "Bearer ".repeat(MB / 2),
            "Authorization: Bearer " + "a".repeat(4 * MB),
            "://a:".repeat(MB),
            "://" + "a".repeat(2 * MB) + ":" + "b".repeat(2 * MB),
            "aws_secret_access_key= ".repeat(MB / 8),
            "1 ".repeat(2 * MB),
            "4111-".repeat(MB),
            "password=".repeat(MB / 4),
            "\"password\":\"" + "x".repeat(4 * MB),
            "password: " + " ".repeat(4 * MB),
            "a".repeat(4 * MB) + "=x",
            "aB_".repeat(MB) + "=x",
            "Authorization: " + "Basic ".repeat(MB / 2),
            "cookie: " + "x".repeat(4 * MB),
            "-----BEGIN ".repeat(MB / 4),
            "-----BEGIN PRIVATE KEY-----".repeat(MB / 8),
            "eyJ".repeat(MB),
            "eyJa.".repeat(MB / 2),
            "eyJa.eyJb".repeat(MB / 4),
            "AKIAABCDEFGHIJKLMNOP " + "aB/".repeat(MB),
            "AKIAABCDEFGHIJKLMNOP " + "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789+/ab ".repeat(MB / 16),
            "://a:b@".repeat(MB / 2),
            "x://" + "a:".repeat(MB) + "@",
            "ghp_".repeat(MB),
            "sk-".repeat(MB),
        };
        for (String text : texts) {
            assertThat(Hostile.run(() -> Redactor.redact(text))).isNotNull();
        }
    }

    @Test
    void masksValuesBySecretNames() {
        assertThat(Redactor.redact("{\"user\":\"bob\",\"password\":\"hunter2\"}")).isEqualTo("{\"user\":\"bob\",\"password\":\"*****\"}");
        assertThat(Redactor.redact("login password=hunter2 user=bob")).isEqualTo("login password=***** user=bob");
        assertThat(Redactor.redact("{'password': 'hunter2'}")).isEqualTo("{'password': '*****'}");
        assertThat(Redactor.redact("msg {\\\"apiKey\\\":\\\"k-1\\\"}")).isEqualTo("msg {\\\"apiKey\\\":\\\"*****\\\"}");
        assertThat(Redactor.redact("Authorization: Basic dXNlcjpwYXNz")).isEqualTo("Authorization: Basic *****");
        assertThat(Redactor.redact("Cookie: sid=abc; theme=dark")).isEqualTo("Cookie: *****");
        assertThat(Redactor.redact("X-Api-Key: k123 accessToken=t1 max_tokens=512 passwordless=true"))
                .isEqualTo("X-Api-Key: ***** accessToken=***** max_tokens=512 passwordless=true");
        assertThat(Redactor.DEFAULT.maskValue("client_secret", "{\"a\":1}")).isEqualTo(Redactor.MASK);
        assertThat(Redactor.DEFAULT.maskValue("courier", "c-318")).isEqualTo("c-318");
    }

    /** Judged names are remembered up to a bound in count and length; past it, and for a serialized copy, the answer is the same. */
    @Test
    void attributeNamesAreJudgedTheSameWhenRememberedAndPastTheBound() throws Exception {
        Redactor redactor = new Redactor(List.of("password", "token"), List.of());
        for (int round = 0; round < 2; round++) {
            assertThat(redactor.maskValue("db_password", "hunter2")).isEqualTo(Redactor.MASK);
            assertThat(redactor.maskValue("passwordless", "true")).isEqualTo("true");
        }
        for (int i = 0; i < 10_000; i++) {
            assertThat(redactor.maskValue("field_" + i, "v")).isEqualTo("v");
            assertThat(redactor.judgedNameCount()).isLessThanOrEqualTo(Redactor.MAX_JUDGED_NAMES);
        }
        assertThat(redactor.maskValue("accessToken", "t1")).isEqualTo(Redactor.MASK); // judged after the memo started over
        assertThat(redactor.maskValue("max_tokens", "512")).isEqualTo("512");
        String longName = "x".repeat(Redactor.MAX_JUDGED_NAME_LENGTH) + "_password";
        int before = redactor.judgedNameCount();
        assertThat(redactor.maskValue(longName, "p")).isEqualTo(Redactor.MASK); // judged, not remembered
        assertThat(redactor.judgedNameCount()).isEqualTo(before);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(redactor);
        }
        Redactor copy = (Redactor) new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray())).readObject();
        assertThat(copy.judgedNameCount()).isZero(); // the memo is not shipped with the function
        assertThat(copy.maskValue("db_password", "hunter2")).isEqualTo(Redactor.MASK);
    }

    @Test
    void secretNamesAreConfigurable() {
        Redactor redactor = new Redactor(List.of("pin"), List.of(Pattern.compile("ticket-([0-9]{4}+)")));
        assertThat(redactor.mask("pin=1234 password=x ticket-9876")).isEqualTo("pin=***** password=x ticket-*****");
    }

    @Test
    void masksSecretsByShape() {
        assertThat(Redactor.redact("redis://:pw/with@slash@cache:6379/0")).isEqualTo("redis://:*****@cache:6379/0");
        assertThat(Redactor.redact("see https://host:8443/path")).isEqualTo("see https://host:8443/path");
        assertThat(Redactor.redact("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln ok")).isEqualTo("jwt ***** ok");
        assertThat(Redactor.redact("AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
                .isEqualTo("AKIAIOSFODNN7EXAMPLE *****");
        assertThat(Redactor.redact("commit 3f786850e387550fdab836ed7e6dc881de23001b"))
                .isEqualTo("commit 3f786850e387550fdab836ed7e6dc881de23001b");
        assertThat(Redactor.redact("-----BEGIN EC PRIVATE KEY-----\nMHcCAQ\n-----END EC PRIVATE KEY-----"))
                .isEqualTo("-----BEGIN EC PRIVATE KEY-----*****-----END EC PRIVATE KEY-----");
        assertThat(Redactor.redact("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"))
                .isEqualTo("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----");
        assertThat(Redactor.redact("token ghp_abcdefghijklmnopqrstuvwxyz0123456789 used")).isEqualTo("token ***** used");
        assertThat(Redactor.redact("ALTER USER u IDENTIFIED BY 'new' REPLACE 'old' RETAIN CURRENT PASSWORD"))
                .isEqualTo("ALTER USER u IDENTIFIED BY ***** REPLACE ***** RETAIN CURRENT PASSWORD");
    }

    /**
     * Keywords are found in any case, and a keyword cut by the end of the text neither matches nor
     * fails (the scan looks at a keyword's second and third letters before comparing it whole).
     */
    @Test
    void keywordsAreFoundInAnyCaseAndCutOnesAreNot() {
        assertThat(Redactor.redact("alter user u iDeNtIfIeD bY 'x'")).isEqualTo("alter user u iDeNtIfIeD bY *****");
        assertThat(Redactor.redact("Authorization: BEARER abc.def")).isEqualTo("Authorization: BEARER *****");
        assertThat(Redactor.redact("set PassWord = 'x'")).isEqualTo("set PassWord = *****");
        // The JDK's comparison matches the long s to 's': such text still runs the password masks.
        assertThat(Redactor.triggers("PAſſWORD") & Redactor.SQL).isEqualTo(Redactor.SQL);
        assertThat(Redactor.triggers("PAXSWORD") & Redactor.SQL).isZero();
        for (String cut : List.of("p", "pa", "pas", "passwor", "i", "id", "identifie", "b", "be", "bea", "beare", "x PA", "IDENTIFIE")) {
            assertThat(Redactor.redact(cut)).isEqualTo(cut);
        }
    }

    /**
     * A name is secret when a key word is a run of its words, whatever separates or cases them; a
     * key word shorter than three letters (which the quick check of names cannot use) still works.
     */
    @Test
    void secretNamesAreFoundAcrossSeparatorsAndShortKeysWork() {
        assertThat(Redactor.redact("db.Pass-Word=hunter2 ok")).isEqualTo("db.Pass-Word=***** ok");
        assertThat(Redactor.redact("Pa_ss-word=hunter2 ok")).isEqualTo("Pa_ss-word=***** ok"); // a key word's first letters split
        assertThat(Redactor.redact("X-API-KEY: abc ok")).isEqualTo("X-API-KEY: ***** ok");
        assertThat(Redactor.redact("at 12:34:56 status=ok passwordless=true")).isEqualTo("at 12:34:56 status=ok passwordless=true");
        Redactor shortKey = new Redactor(List.of("pw"), List.of());
        assertThat(shortKey.mask("user_pw=hunter2 ok")).isEqualTo("user_pw=***** ok");
        assertThat(shortKey.mask("PW: hunter2")).isEqualTo("PW: *****");
        assertThat(shortKey.mask("password=hunter2")).isEqualTo("password=hunter2");
    }
}
