package dev.nagare.job.lake;

import dev.nagare.job.config.NagareConfig;

import org.apache.flink.table.types.logical.RowType;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class AthenaDdlTest {
    static final String LOCATION = "s3://YOUR-BUCKET/nagare";
    private static final Pattern COLUMN = Pattern.compile("^  `(\\w+)` (\\S+?),?$", Pattern.MULTILINE);
    private static final Pattern PARTITIONS = Pattern.compile("PARTITIONED BY \\((.*)\\)");

    /** Columns, types and partition keys of the DDL equal those of the files the lake writes. */
    @Test
    void theDdlMatchesTheFiles() {
        Lake lake = new Lake(NagareConfig.defaults().with("lake.path", "s3://YOUR-BUCKET/nagare"));
        for (Lake.LakeTable table : Lake.TABLES) {
            String ddl = AthenaDdl.create("nagare", table, LOCATION);
            List<String> expected = new ArrayList<>();
            for (RowType.RowField field : table.fileType().getFields()) {
                expected.add(field.getName() + " " + hiveName(field.getType().asSummaryString()));
            }
            List<String> actual = new ArrayList<>();
            Matcher m = COLUMN.matcher(ddl);
            while (m.find()) {
                actual.add(m.group(1) + " " + m.group(2));
            }
            assertThat(actual).as(table.name).isEqualTo(expected);
            Matcher p = PARTITIONS.matcher(ddl);
            assertThat(p.find()).isTrue();
            assertThat(p.group(1)).isEqualTo(String.join(", ", table.partitionKeys.stream().map(k -> "`" + k + "` string")
                    .toArray(String[]::new)));
            assertThat(ddl).contains("LOCATION '" + LOCATION + "/" + table.name + "/'")
                    .contains("'storage.location.template' = '" + LOCATION + "/" + table.name + "/"
                            + String.join("/", table.partitionKeys.stream().map(k -> k + "=${" + k + "}").toArray(String[]::new)) + "/'");
            assertThat(lake.path(table.name)).isEqualTo(LOCATION + "/" + table.name);
        }
    }

    /** Flink's type names spelled the Athena way, independently of the generator's mapping. */
    private static String hiveName(String flinkType) {
        return flinkType.replace("STRING", "string").replace("TIMESTAMP(3)", "timestamp").replace("INT", "int")
                .replace("BIGint", "bigint").replace("DOUBLE", "double").replace("BOOLEAN", "boolean")
                .replace("MAP<string, string>", "map<string,string>");
    }

    @Test
    void theDocumentedDdlIsCurrent() throws Exception {
        String committed = Files.readString(Path.of("../docs/athena/tables.sql"));
        assertThat(committed).isEqualTo(AthenaDdl.all("nagare", LOCATION));
    }
}
