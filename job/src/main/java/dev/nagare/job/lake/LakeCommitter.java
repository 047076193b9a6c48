package dev.nagare.job.lake;

import dev.nagare.job.metrics.JobMetrics;


import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Makes the lake's files visible exactly once, and can take back what later checkpoints made
 * visible when the job is restored from an older checkpoint or savepoint.
 *
 * <p>Writers close their files before each barrier and send them here; a checkpoint's files are
 * committed when the checkpoint completes: the files of each partition are merged (row groups
 * copied, not re-encoded) into files of up to {@code lake.rolling.file-size}, moved under the
 * table's folder with names derived from the checkpoint id, and listed in a commit marker
 * {@code _nagare/commits/<lineage>/<checkpoint>.json} before the staging files are deleted. Each
 * step can be repeated: a commit whose marker exists is done, and one without a marker still has
 * all its inputs. On a restore from checkpoint K, every marker of this job's lineage newer than K
 * is rolled back (its files deleted), because the source replays those events: the lake then
 * holds exactly what checkpoint K saw committed, whichever retained checkpoint is chosen. This is
 * what Flink 1.20's filesystem compaction cannot do (FLINK-34109): its coordinator fails on state
 * older than files it already compacted.
 *
 * <p>Runs with parallelism 1: one commit log, one place that decides.
 */
final class LakeCommitter extends AbstractStreamOperator<Void> implements OneInputStreamOperator<LakeFile, Void>, BoundedOneInput {
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration PRUNE_EVERY = Duration.ofHours(1);

    private final String root;
    private final boolean compaction;
    private final long targetBytes;
    private final Duration markerRetention;

    private transient ListState<String> stateList;
    private transient CommitLog log;
    private transient List<LakeFile> received;
    private transient long watermark;
    private transient FileSystem fs;
    private transient boolean checkpointing;
    private transient long lastPruneMillis;
    private transient Counter committedFiles;
    private transient Counter rolledBackFiles;
    private transient Counter lostFiles;
    /** Writers of this attempt, from their announcements. */
    private transient Set<String> liveWriters;
    /** Live writers as of each checkpoint of this attempt not yet complete. */
    private transient TreeMap<Long, Set<String>> writersAt;
    private transient boolean alignedBarriers;
    private transient boolean garbageCollected;

    LakeCommitter(String root, boolean compaction, long targetBytes, Duration markerRetention) {
        this.root = root;
        this.compaction = compaction;
        this.targetBytes = targetBytes;
        this.markerRetention = markerRetention;
    }

    /** The commit log kept in operator state (as JSON: readable in a savepoint, easy to evolve). */
    public static final class CommitLog {
        /** Names this job's run history; a fresh start without state begins a new one. */
        public String lineage;
        /** Files received per checkpoint, not yet committed, with the watermark at that checkpoint. */
        public TreeMap<Long, Pending> pending = new TreeMap<>();
        /** Event-time partitions with committed files whose {@code _SUCCESS} marker is still due: path -> ready at. */
        public Map<String, Long> awaiting = new HashMap<>();
        /** Checkpoint ids for runs without checkpoints (bounded inputs committed at their end). */
        public long localCommits;
    }

    /** One checkpoint's files. */
    public static final class Pending {
        public long watermark;
        public List<LakeFile> files = new ArrayList<>();
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        fs = new Path(root).getFileSystem();
        received = new ArrayList<>();
        liveWriters = new HashSet<>();
        writersAt = new TreeMap<>();
        watermark = Long.MIN_VALUE;
        MetricGroup metrics = JobMetrics.of(getMetricGroup());
        committedFiles = metrics.counter(JobMetrics.LAKE_COMMITTED_FILES);
        rolledBackFiles = metrics.counter(JobMetrics.LAKE_ROLLED_BACK_FILES);
        lostFiles = metrics.counter(JobMetrics.LAKE_LOST_FILES);
        stateList = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("lake-commit-log", String.class));
        Iterator<String> restored = stateList.get().iterator();
        OptionalLong restoredId = context.getRestoredCheckpointId();
        if (restored.hasNext() && restoredId.isPresent()) {
            log = JSON.readValue(restored.next(), CommitLog.class);
            long k = restoredId.getAsLong();
            LOG.info("Lake commit log {} restored from checkpoint {} with {} checkpoints to commit", log.lineage, k, log.pending.size());
            rollBackAfter(k);
            commitUpTo(k);
        } else {
            log = new CommitLog();
            log.lineage = UUID.randomUUID().toString();
            LOG.info("Lake commit log {} started under {}", log.lineage, root);
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        checkpointing = getContainingTask().getConfiguration().isCheckpointingEnabled();
        alignedBarriers = !getContainingTask().getConfiguration().isUnalignedCheckpointsEnabled();
    }

    @Override
    public void processElement(StreamRecord<LakeFile> element) {
        LakeFile file = element.getValue();
        liveWriters.add(file.writer);
        if (!file.isAnnouncement()) {
            received.add(file);
        }
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        watermark = Math.max(watermark, mark.getTimestamp());
        super.processWatermark(mark);
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        Pending pending = log.pending.computeIfAbsent(context.getCheckpointId(), id -> new Pending());
        pending.watermark = watermark;
        pending.files.addAll(received);
        received.clear();
        stateList.update(List.of(JSON.writeValueAsString(log)));
        if (!garbageCollected) {
            writersAt.put(context.getCheckpointId(), new HashSet<>(liveWriters));
        }
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        super.notifyCheckpointComplete(checkpointId);
        commitUpTo(checkpointId);
        Map.Entry<Long, Set<String>> writers = writersAt.floorEntry(checkpointId);
        if (writers != null && !garbageCollected && alignedBarriers) {
            collectGarbage(writers.getValue());
        }
        writersAt.headMap(checkpointId, true).clear();
    }

    @Override
    public void endInput() throws IOException {
        if (!checkpointing) {
            // No checkpoint will complete: a bounded run without checkpoints commits at its end.
            Pending pending = new Pending();
            pending.watermark = watermark;
            pending.files.addAll(received);
            received.clear();
            log.pending.put(++log.localCommits, pending);
            commitUpTo(log.localCommits);
            // Every writer has ended and announced itself: whatever else is in staging is garbage.
            collectGarbage(liveWriters);
        }
    }

    /** Commits every pending checkpoint up to {@code checkpointId}, oldest first. */
    private void commitUpTo(long checkpointId) throws IOException {
        while (!log.pending.isEmpty() && log.pending.firstKey() <= checkpointId) {
            Map.Entry<Long, Pending> entry = log.pending.firstEntry();
            commit(entry.getKey(), entry.getValue());
            log.pending.remove(entry.getKey());
        }
        if (System.currentTimeMillis() - lastPruneMillis > PRUNE_EVERY.toMillis()) {
            pruneMarkers();
            lastPruneMillis = System.currentTimeMillis();
        }
    }

    private void commit(long checkpointId, Pending pending) throws IOException {
        Path marker = marker(checkpointId);
        if (!fs.exists(marker)) {
            Map<String, List<LakeFile>> byPartition = new TreeMap<>();
            for (LakeFile file : pending.files) {
                byPartition.computeIfAbsent(file.table + "/" + file.partition, p -> new ArrayList<>()).add(file);
            }
            List<Map<String, Object>> outputs = new ArrayList<>();
            for (Map.Entry<String, List<LakeFile>> partition : byPartition.entrySet()) {
                List<LakeFile> files = partition.getValue();
                files.sort((a, b) -> a.path.compareTo(b.path));
                int k = 0;
                for (List<LakeFile> bin : bins(files)) {
                    String relative = partition.getKey() + "/part-" + log.lineage.substring(0, 8) + "-" + checkpointId + "-" + (k++) + ".parquet";
                    Path target = new Path(root + "/" + relative);
                    if (publish(bin, target)) {
                        Map<String, Object> output = new LinkedHashMap<>();
                        output.put("path", relative);
                        output.put("rows", bin.stream().mapToLong(f -> f.rows).sum());
                        outputs.add(output);
                    }
                }
            }
            Map<String, Object> content = new LinkedHashMap<>();
            content.put("lineage", log.lineage);
            content.put("checkpoint", checkpointId);
            content.put("committedAt", System.currentTimeMillis());
            content.put("files", outputs);
            writeAtomically(marker, JSON.writeValueAsBytes(content));
            committedFiles.inc(outputs.size());
            LOG.debug("Committed checkpoint {}: {} staging files as {} lake files", checkpointId, pending.files.size(), outputs.size());
        }
        for (LakeFile file : pending.files) {
            fs.delete(new Path(file.path), false);
        }
        for (LakeFile file : pending.files) {
            String partitionPath = file.table + "/" + file.partition;
            if (file.readyAtMillis < 0) {
                markComplete(partitionPath);
            } else {
                log.awaiting.merge(partitionPath, file.readyAtMillis, Math::max);
            }
        }
        for (Iterator<Map.Entry<String, Long>> it = log.awaiting.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Long> partition = it.next();
            if (partition.getValue() <= pending.watermark) {
                markComplete(partition.getKey());
                it.remove();
            }
        }
    }

    /** Groups a partition's files into bins of up to the target size; each bin becomes one lake file. */
    private List<List<LakeFile>> bins(List<LakeFile> files) {
        List<List<LakeFile>> bins = new ArrayList<>();
        List<LakeFile> bin = new ArrayList<>();
        long size = 0;
        for (LakeFile file : files) {
            if (!bin.isEmpty() && (!compaction || size + file.bytes > targetBytes)) {
                bins.add(bin);
                bin = new ArrayList<>();
                size = 0;
            }
            bin.add(file);
            size += file.bytes;
        }
        if (!bin.isEmpty()) {
            bins.add(bin);
        }
        return bins;
    }

    /**
     * Makes one bin visible at {@code target}: a single file is moved, several are merged. Safe to
     * repeat: inputs are deleted only after the marker is written, and a moved file is found at
     * its target. Returns false if the inputs are gone and the target was never written.
     */
    private boolean publish(List<LakeFile> bin, Path target) throws IOException {
        fs.mkdirs(target.getParent());
        if (bin.size() == 1) {
            Path source = new Path(bin.get(0).path);
            if (fs.exists(source)) {
                if (fs.exists(target)) {
                    fs.delete(target, false);
                }
                if (!fs.rename(source, target)) {
                    throw new IOException("cannot move " + source + " to " + target);
                }
                return true;
            }
            if (fs.exists(target)) {
                return true;
            }
            return lost(bin);
        }
        List<Path> inputs = new ArrayList<>();
        for (LakeFile file : bin) {
            Path input = new Path(file.path);
            if (!fs.exists(input)) {
                return lost(bin);
            }
            inputs.add(input);
        }
        // Merged beside the inputs and moved in whole: a reader never sees a half-written file.
        Path merged = new Path(root + "/" + Lake.STAGING + "/.merge-" + target.getName());
        ParquetFiles.merge(fs, inputs, merged);
        if (fs.exists(target)) {
            fs.delete(target, false);
        }
        if (!fs.rename(merged, target)) {
            throw new IOException("cannot move " + merged + " to " + target);
        }
        return true;
    }

    private boolean lost(List<LakeFile> bin) {
        // Only possible when restoring a checkpoint of a run that was itself abandoned by an
        // earlier restore: its staging files were committed and deleted by that run.
        LOG.error("Lake files missing from staging, not committed: {}", bin);
        lostFiles.inc(bin.size());
        return false;
    }

    /** Deletes what checkpoints after {@code checkpointId} committed: the source replays those events. */
    private void rollBackAfter(long checkpointId) throws IOException {
        Path dir = markerDir();
        if (!fs.exists(dir)) {
            return;
        }
        FileStatus[] markers = fs.listStatus(dir);
        for (FileStatus status : markers == null ? new FileStatus[0] : markers) {
            Long id = markerId(status.getPath());
            if (id == null || id <= checkpointId) {
                continue;
            }
            List<?> files;
            try (InputStream in = fs.open(status.getPath())) {
                files = (List<?>) JSON.readValue(in, Map.class).get("files");
            }
            for (Object file : files) {
                fs.delete(new Path(root + "/" + ((Map<?, ?>) file).get("path")), false);
            }
            fs.delete(status.getPath(), false);
            rolledBackFiles.inc(files.size());
            LOG.warn("Restored from checkpoint {}: removed the {} lake files committed by later checkpoint {}; "
                    + "the source replays their events", checkpointId, files.size(), id);
        }
    }

    /**
     * Deletes every staging file that no live writer of this attempt wrote and no pending
     * checkpoint refers to: what writers of a failed, cancelled or abandoned attempt closed after
     * their last checkpoint. Called once a checkpoint taken in this attempt completes (or at the
     * end of a run without checkpoints): every live writer announced itself ahead of that
     * checkpoint's barrier, so the names alone decide and no clock is trusted. Needs aligned
     * barriers (announcements processed before the snapshot), the only mode this job uses.
     */
    private void collectGarbage(Set<String> writers) throws IOException {
        Path staging = new Path(root + "/" + Lake.STAGING);
        if (!fs.exists(staging)) {
            return;
        }
        Set<String> referenced = new HashSet<>();
        log.pending.values().forEach(p -> p.files.forEach(f -> referenced.add(new Path(f.path).getName())));
        received.forEach(f -> referenced.add(new Path(f.path).getName()));
        FileStatus[] files = fs.listStatus(staging);
        int deleted = 0;
        for (FileStatus file : files == null ? new FileStatus[0] : files) {
            String name = file.getPath().getName();
            if (!referenced.contains(name) && writers.stream().noneMatch(w -> name.startsWith(w + "-"))) {
                fs.delete(file.getPath(), false);
                deleted++;
            }
        }
        if (deleted > 0) {
            LOG.info("Deleted {} staging files of earlier attempts, written after their last checkpoint", deleted);
        }
        garbageCollected = true;
    }

    /** Markers are needed only to roll back to a checkpoint or savepoint that is still kept. */
    private void pruneMarkers() throws IOException {
        Path dir = markerDir();
        if (!fs.exists(dir)) {
            return;
        }
        long oldest = System.currentTimeMillis() - markerRetention.toMillis();
        FileStatus[] markers = fs.listStatus(dir);
        for (FileStatus status : markers == null ? new FileStatus[0] : markers) {
            if (status.getModificationTime() < oldest) {
                fs.delete(status.getPath(), false);
            }
        }
    }

    private void markComplete(String partitionPath) throws IOException {
        try (FSDataOutputStream out = fs.create(new Path(root + "/" + partitionPath + "/_SUCCESS"), FileSystem.WriteMode.OVERWRITE)) {
            out.flush();
        }
    }

    private void writeAtomically(Path path, byte[] bytes) throws IOException {
        fs.mkdirs(path.getParent());
        Path temp = new Path(path.getParent(), "." + path.getName() + ".tmp");
        try (FSDataOutputStream out = fs.create(temp, FileSystem.WriteMode.OVERWRITE)) {
            out.write(bytes);
        }
        if (fs.exists(path)) {
            fs.delete(path, false);
        }
        if (!fs.rename(temp, path)) {
            throw new IOException("cannot move " + temp + " to " + path);
        }
    }

    private Path markerDir() {
        return new Path(root + "/" + Lake.COMMITS + "/" + log.lineage);
    }

    private Path marker(long checkpointId) {
        return new Path(markerDir(), String.format("%019d.json", checkpointId));
    }

    private static Long markerId(Path marker) {
        String name = marker.getName();
        if (!name.endsWith(".json") || name.startsWith(".")) {
            return null;
        }
        try {
            return Long.parseLong(name.substring(0, name.length() - ".json".length()));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
