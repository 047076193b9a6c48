package dev.nagare.udf.redact;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RedactorTest {
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
}
