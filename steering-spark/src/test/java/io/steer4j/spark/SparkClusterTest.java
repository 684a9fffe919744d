package io.steer4j.spark;

import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.dataset.ContrastivePair;
import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMethod;
import io.steer4j.djl.eval.ContinuationItem;
import io.steer4j.djl.eval.SweepResult;
import io.steer4j.djl.eval.SweepRunner;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.GenerationResult;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;
import io.steer4j.djl.steering.SteeringVectorComputer;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.CollectionAccumulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Spark paths across process boundaries: a {@link LocalCluster} of two executor JVMs, each with its own model
 * cache and the Java CPU engine on, compared with the library run in this (driver) JVM. Where tasks ran is taken
 * from the executors themselves (executor id and process id, gathered by an accumulator; executor ids from the
 * scheduler's task-end events for the sweep, whose jobs this class cannot wrap), never assumed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SparkClusterTest {
    private static final int[] LAYERS = {0, 1, 2};
    private static final int PARTITIONS = 4;
    private static final StructType PAIR_SCHEMA = new StructType()
            .add("id", DataTypes.StringType)
            .add("positive", DataTypes.StringType)
            .add("negative", DataTypes.StringType);
    private static final ContrastiveDataset PAIRS = dataset("sentiment-mini",
            "I love this wonderful day", "I hate this awful day",
            "great", "terrible and very bad indeed",
            "what a happy and bright morning it is", "what a sad morning",
            "the food was delicious", "the food was disgusting",
            "a kind and warm smile", "a cold and cruel stare",
            "we won the match", "we lost the match again",
            "the garden is full of flowers", "the garden is dead",
            "thank you so much", "go away",
            "she laughed with joy", "she cried in pain",
            "a perfect holiday", "a ruined holiday",
            "fresh bread and sunshine", "stale bread and rain",
            "best friends forever", "enemies for life");
    private static final ContrastiveDataset STORY_PAIRS = dataset("happy-sad",
            "Tim was very happy. He smiled", "Tim was very sad. He cried",
            "Lily loved the sunny park", "Lily hated the dark park",
            "The dog was glad to play", "The dog was scared to play",
            "Mom gave her a big hug and laughed", "Mom was angry and shouted",
            "They had a fun day", "They had a bad day",
            "The cat purred with joy", "The cat hissed in fear");
    private static final StructType ROW_SCHEMA = new StructType()
            .add("id", DataTypes.StringType)
            .add("prompt", DataTypes.StringType)
            .add("continuation", DataTypes.StringType)
            .add("vector", DataTypes.StringType)
            .add("strength", DataTypes.DoubleType)
            .add("layer", DataTypes.IntegerType);
    private static final Object[][] ROWS = {
            {"r0", "the cat sat on", " the mat", null, null, null},
            {"r1", "the cat sat on", " the mat", "happy", 4.0, null},
            {"r2", "today the weather is", " very nice", "happy", -4.0, 1},
            {"r3", "i think that the film", " was good", "happy", 8.0, 2},
            {"r4", "she said the food", " tasted great", null, null, null},
            {"r5", "the garden was", " full of roses", "happy", 2.0, 0}};

    private static SparkSession spark;
    private static JavaSparkContext jsc;
    private static String tinyRef;
    private static LanguageModel tiny;
    private static Path storiesFolder;
    private static LanguageModel stories;
    private static final Map<VectorMethod, SteeringVector> SINGLE_JVM = new TreeMap<>();

    @BeforeAll
    static void start() {
        storiesFolder = LocalSpark.realModel("stories260k").orElseThrow(() -> new IllegalStateException(
                "pretrained model 'stories260k' not found in ../shared/models/stories260k or "
                        + "$STEER4J_MODELS/stories260k; this test needs the real checkpoint"));
        spark = LocalCluster.session();
        jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        tinyRef = LocalSpark.tinyGpt2().toString();
        tiny = LanguageModel.load(LocalSpark.tinyGpt2());
        stories = LanguageModel.load(storiesFolder);
    }

    @AfterAll
    static void close() {
        if (tiny != null) {
            tiny.close();
        }
        if (stories != null) {
            stories.close();
        }
        LocalCluster.stop();
    }

    /** A test that killed an executor leaves the Master to launch a replacement; every test starts with two. */
    @BeforeEach
    void bothExecutorsUp() {
        LocalCluster.awaitExecutors(LocalCluster.EXECUTORS);
    }

    // ---- (a) vectors: statistics computed in two executor JVMs, combined on the driver ----

    @Test
    void meanDifferenceAndPcaDiffComputedInTwoExecutorJvmsEqualTheSingleJvmComputer() {
        for (VectorMethod method : List.of(VectorMethod.MEAN_DIFFERENCE, VectorMethod.PCA_DIFF)) {
            CollectionAccumulator<String> ranOn = jsc.sc().collectionAccumulator();
            SteeringVector spread = tinyComputer(method).compute(tracked(pairFrame(PAIRS), ranOn));
            double diff = SparkVectorComputerTest.maxDifference(singleJvm(method), spread);
            System.out.println(method.id() + " tiny gpt2 on " + LocalCluster.MASTER + ", max |spark - single| = "
                    + diff);
            assertTrue(diff <= SparkVectorComputerTest.TOLERANCE, method + ": max difference " + diff);
            assertEquals(PAIRS.size(), spread.metadata().datasetSize());
            assertRanInBothExecutorJvms(ranOn);
        }
    }

    @Test
    void storiesVectorsComputedInTwoExecutorJvmsEqualTheSingleJvmComputer() {
        for (VectorMethod method : List.of(VectorMethod.MEAN_DIFFERENCE, VectorMethod.PCA_CENTER)) {
            SteeringVector single = SteeringVectorComputer.builder(stories).layers(1, 3).method(method).batchSize(2)
                    .build().compute(STORY_PAIRS).vector();
            CollectionAccumulator<String> ranOn = jsc.sc().collectionAccumulator();
            SteeringVector spread = SparkVectorComputer.builder(storiesFolder.toString()).layers(1, 3).method(method)
                    .batchSize(2).idColumn("id").build().compute(tracked(pairFrame(STORY_PAIRS), ranOn));
            double diff = SparkVectorComputerTest.maxDifference(single, spread);
            System.out.println(method.id() + " stories260k on " + LocalCluster.MASTER + ", max |spark - single| = "
                    + diff);
            assertTrue(diff <= SparkVectorComputerTest.TOLERANCE * single.norm(1), method + ": " + diff);
            assertRanInBothExecutorJvms(ranOn);
        }
    }

    // ---- (b) generation and scoring, a plan per row, built in the executor that runs the row ----

    @Test
    void generationAndScoringWithAPlanPerRowInExecutorJvmsEqualTheInProcessSteeredModel(@TempDir Path dir)
            throws IOException {
        SteeringVector happy = SteeringVectorComputer.builder(tiny).build().compute(dataset("happy",
                "I love this wonderful day", "I hate this awful day",
                "what a happy morning", "what a sad morning")).vector();
        Path file = dir.resolve("happy-tiny.safetensors");
        VectorFiles.write(happy, file);
        // batch size 1: every row is a one-row decode with a KV cache, the Java CPU engine's path
        SparkSteering steering = SparkSteering.builder(tinyRef).vector("happy", file).batchSize(1).idColumn("id")
                .build();
        GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(6).stopAtEos(false).build();
        CollectionAccumulator<String> ranOn = jsc.sc().collectionAccumulator();
        List<Row> generated = byId(steering.generate(tracked(rowFrame(ROWS), ranOn), greedy).collectAsList());
        List<Row> scored = byId(steering.score(rowFrame(ROWS)).collectAsList());

        SteeredModel local = SteeredModel.of(tiny, SteeringPlan.NONE);
        assertEquals(ROWS.length, generated.size());
        for (int i = 0; i < ROWS.length; i++) {
            String id = (String) ROWS[i][0];
            SteeringPlan plan = planOf(ROWS[i], happy);
            GenerationResult expected = local.generate((String) ROWS[i][1], greedy, plan);
            assertEquals(expected.text(), generated.get(i).getAs("text"), "row " + id);
            assertEquals(local.continuationLogProb((String) ROWS[i][1], expected.text(), plan),
                    (double) generated.get(i).getAs("logprob"), 1e-4, "row " + id);
            double[] tokens = local.continuationLogProbs((String) ROWS[i][1], (String) ROWS[i][2], plan);
            List<Double> spread = scored.get(i).getList(scored.get(i).fieldIndex("token_logprobs"));
            assertEquals(tokens.length, spread.size(), "row " + id);
            for (int k = 0; k < tokens.length; k++) {
                assertEquals(tokens[k], spread.get(k), 1e-4, "row " + id + " token " + k);
            }
        }
        assertNotEquals(generated.get(0).<String>getAs("text"), generated.get(1).<String>getAs("text"),
                "r0 and r1 share a prompt; only r1's plan steers it");
        assertRanInBothExecutorJvms(ranOn);
    }

    @Test
    void storiesSteeredGenerationInExecutorJvmsEqualsTheInProcessText(@TempDir Path dir) throws IOException {
        SteeringVector v = SteeringVectorComputer.builder(stories).layers(2).build().compute(STORY_PAIRS).vector();
        Path file = dir.resolve("happy-stories.safetensors");
        VectorFiles.write(v, file);
        Object[][] rows = {
                {"s0", "Once upon a time", "", null, null, null},
                {"s1", "Once upon a time", "", "happy", 6.0, null},
                {"s2", "Tim went to the park", "", "happy", -6.0, null},
                {"s3", "Tim went to the park", "", null, null, null}};
        GenerationConfig greedy = GenerationConfig.greedy(12);
        List<Row> out = byId(SparkSteering.builder(storiesFolder.toString()).vector("happy", file).batchSize(1)
                .idColumn("id").build().generate(rowFrame(rows), greedy).collectAsList());
        SteeredModel local = SteeredModel.of(stories, SteeringPlan.NONE);
        for (int i = 0; i < rows.length; i++) {
            assertEquals(local.generate((String) rows[i][1], greedy, planOf(rows[i], v)).text(),
                    out.get(i).getAs("text"), "row " + rows[i][0]);
        }
        assertNotEquals(out.get(0).<String>getAs("text"), out.get(1).<String>getAs("text"),
                "a strength of 6 changes the story");
    }

    // ---- sweeps: cells measured in two executor JVMs ----

    @Test
    void aSweepWithItsCellsInTwoExecutorJvmsGivesTheSingleJvmCsvAndJson(@TempDir Path dir) throws Exception {
        List<ContinuationItem> items = List.of(
                new ContinuationItem("the cat sat on", " the mat", " a hat"),
                new ContinuationItem("today the weather is", " very nice", " so bad"));
        List<String> neutral = List.of("the library opens at nine on weekdays.", "water freezes at zero degrees.");
        SteeringVector v = singleJvm(VectorMethod.MEAN_DIFFERENCE);
        SweepResult single = SweepRunner.builder(tiny).vector(v).layers(0, 1, 2).strengths(-2, 0, 2)
                .continuationItems(items).neutralTexts(neutral).batchSize(4).build().run();
        Set<String> ranOn = ConcurrentHashMap.newKeySet();
        SparkListener listener = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (end.taskInfo().successful()) {
                    ranOn.add(end.taskInfo().executorId());
                }
            }
        };
        spark.sparkContext().addSparkListener(listener);
        SweepResult spread;
        try {
            spread = SparkSweep.builder(tinyRef).vector(v).layers(0, 1, 2).strengths(-2, 0, 2)
                    .continuationItems(items).neutralTexts(neutral).batchSize(4).tasks(3).build().run(spark);
            spark.sparkContext().listenerBus().waitUntilEmpty();
        } finally {
            spark.sparkContext().removeSparkListener(listener);
        }
        single.writeCsv(dir.resolve("single.csv"));
        spread.writeCsv(dir.resolve("spark.csv"));
        single.writeJson(dir.resolve("single.json"));
        spread.writeJson(dir.resolve("spark.json"));
        assertEquals(Files.readString(dir.resolve("single.csv")), Files.readString(dir.resolve("spark.csv")));
        assertEquals(Files.readString(dir.resolve("single.json")), Files.readString(dir.resolve("spark.json")));
        assertEquals(LocalCluster.EXECUTORS, ranOn.size(), "sweep tasks ran on executors " + ranOn);
    }

    // ---- (c) one model load per executor JVM, (d) the Java CPU engine on in each ----

    @Test
    void eachExecutorJvmLoadsTheModelOnceHoweverManyTasksAndJobsUseIt() {
        CollectionAccumulator<String> ranOn = jsc.sc().collectionAccumulator();
        for (int job = 0; job < 2; job++) {
            tinyComputer(VectorMethod.MEAN_DIFFERENCE).compute(tracked(pairFrame(PAIRS), ranOn));
        }
        Set<String> executors = executorsOf(ranOn);
        assertEquals(LocalCluster.EXECUTORS, executors.size(), "tasks ran on " + executors);
        Map<String, ExecutorReport> reports = reportFromEveryExecutor();
        for (String executor : executors) {
            ExecutorReport r = reports.get(executor);
            assertTrue(r != null, "no report from executor " + executor + "; reports: " + reports.keySet());
            assertEquals(1, r.tinyLoads(), "loads of the tiny model in executor " + executor + " (pid " + r.pid()
                    + ") after " + 2 * PARTITIONS + " extraction tasks");
        }
    }

    @Test
    void executorJvmsRunTheJavaCpuEngine() {
        Map<String, ExecutorReport> reports = reportFromEveryExecutor();
        assertEquals(LocalCluster.EXECUTORS, reports.size(), "reports: " + reports);
        for (ExecutorReport r : reports.values()) {
            assertTrue(r.vectorModule(), "executor " + r.executorId() + " has no jdk.incubator.vector module");
            assertTrue(r.vectorDecode(), "executor " + r.executorId() + " decodes the tiny model with libtorch");
            assertNotEquals(ProcessHandle.current().pid(), r.pid(), "executor " + r.executorId() + " is this JVM");
        }
    }

    // ---- (e) an executor JVM killed in the middle of a task ----

    @Test
    @Order(Integer.MAX_VALUE) // correct in any order; last, so that no other test waits for the replacement JVM
    void aTaskWhoseExecutorJvmIsKilledIsRetriedElsewhereAndTheVectorIsUnchanged(@TempDir Path dir)
            throws IOException {
        Path armed = Files.createFile(dir.resolve("armed"));
        Path killed = dir.resolve("killed-pid");
        String armedPath = armed.toString();
        String killedPath = killed.toString();
        Dataset<Row> frame = pairFrame(PAIRS);
        // The task of partition 1 halts its executor JVM after yielding its rows, once (whichever attempt or
        // stage attempt first gets there claims the file): the statistics it had counted die with the process.
        Dataset<Row> deadly = spark.createDataFrame(frame.javaRDD().mapPartitionsWithIndex((idx, it) -> {
            List<Row> rows = new ArrayList<>();
            it.forEachRemaining(rows::add);
            if (idx != 1) {
                return rows.iterator();
            }
            return new KillAfter<>(rows, Path.of(armedPath), Path.of(killedPath));
        }, true), PAIR_SCHEMA);
        CollectionAccumulator<String> ranOn = jsc.sc().collectionAccumulator();
        SteeringVector spread = tinyComputer(VectorMethod.MEAN_DIFFERENCE).compute(tracked(deadly, ranOn));

        assertFalse(Files.exists(armed), "the kill did not fire");
        long victim = Long.parseLong(Files.readString(killed).trim());
        assertNotEquals(ProcessHandle.current().pid(), victim, "the task ran in the driver JVM");
        assertFalse(ProcessHandle.of(victim).map(ProcessHandle::isAlive).orElse(false),
                "executor process " + victim + " is still alive");
        assertEquals(PAIRS.size(), spread.metadata().datasetSize(), "pairs counted once each");
        double diff = SparkVectorComputerTest.maxDifference(singleJvm(VectorMethod.MEAN_DIFFERENCE), spread);
        assertTrue(diff <= SparkVectorComputerTest.TOLERANCE, "max difference " + diff);
    }

    // ---- helpers ----

    private static SparkVectorComputer tinyComputer(VectorMethod method) {
        return SparkVectorComputer.builder(tinyRef).layers(LAYERS).method(method).batchSize(2).idColumn("id").build();
    }

    private static synchronized SteeringVector singleJvm(VectorMethod method) {
        return SINGLE_JVM.computeIfAbsent(method, m -> SteeringVectorComputer.builder(tiny).layers(LAYERS).method(m)
                .batchSize(2).build().compute(PAIRS).vector());
    }

    private static ContrastiveDataset dataset(String name, String... texts) {
        List<ContrastivePair> pairs = new ArrayList<>();
        for (int i = 0; i < texts.length; i += 2) {
            pairs.add(new ContrastivePair(texts[i], texts[i + 1]));
        }
        return new ContrastiveDataset(name, pairs);
    }

    private static Dataset<Row> pairFrame(ContrastiveDataset d) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < d.size(); i++) {
            rows.add(RowFactory.create("p" + i, d.pairs().get(i).positive(), d.pairs().get(i).negative()));
        }
        return spark.createDataFrame(jsc.parallelize(rows, PARTITIONS), PAIR_SCHEMA);
    }

    private static Dataset<Row> rowFrame(Object[][] rows) {
        List<Row> list = new ArrayList<>();
        for (Object[] r : rows) {
            list.add(RowFactory.create(r));
        }
        return spark.createDataFrame(jsc.parallelize(list, 3), ROW_SCHEMA);
    }

    private static List<Row> byId(List<Row> rows) {
        return rows.stream().sorted(Comparator.comparing(r -> r.<String>getAs("id"))).toList();
    }

    private static SteeringPlan planOf(Object[] row, SteeringVector v) {
        if (row[3] == null) {
            return SteeringPlan.NONE;
        }
        return row[5] == null ? SteeringPlan.of(v, (Double) row[4])
                : SteeringPlan.atLayers(v, (Double) row[4], (Integer) row[5]);
    }

    /** The frame, each of its partitions adding "executor-id pid" of the JVM that read it to {@code ranOn}. */
    private static Dataset<Row> tracked(Dataset<Row> frame, CollectionAccumulator<String> ranOn) {
        return spark.createDataFrame(frame.javaRDD().mapPartitions(it -> {
            ranOn.add(ExecutorReport.here());
            return it;
        }), frame.schema());
    }

    private static Set<String> executorsOf(CollectionAccumulator<String> ranOn) {
        return new HashSet<>(ranOn.value());
    }

    private static void assertRanInBothExecutorJvms(CollectionAccumulator<String> ranOn) {
        Set<String> executors = executorsOf(ranOn);
        assertEquals(LocalCluster.EXECUTORS, executors.size(), "partitions were read in " + executors);
        for (String e : executors) {
            assertFalse(e.startsWith("driver "), "a partition was read in the driver: " + executors);
            assertFalse(e.endsWith(" " + ProcessHandle.current().pid()), "a partition was read in this JVM");
        }
    }

    /**
     * One report per executor JVM, keyed by "executor-id pid": slow tasks (one per core and then some) so that both executors take some; each reads
     * its executor's load count before it asks the executor's cache for the model.
     */
    private static Map<String, ExecutorReport> reportFromEveryExecutor() {
        String ref = tinyRef;
        List<ExecutorReport> all = jsc.parallelize(IntStream.range(0, 4 * LocalCluster.EXECUTORS).boxed().toList(),
                4 * LocalCluster.EXECUTORS).map(i -> {
                    Thread.sleep(300);
                    return ExecutorReport.of(ref);
                }).collect();
        return all.stream().collect(Collectors.toMap(ExecutorReport::process, r -> r, (a, b) -> a, TreeMap::new));
    }

    /** What an executor JVM says about itself. */
    record ExecutorReport(String executorId, long pid, int tinyLoads, boolean vectorModule, boolean vectorDecode)
            implements Serializable {
        static String here() {
            return SparkEnv.get().executorId() + " " + ProcessHandle.current().pid();
        }

        /** The executor id and process id, as {@link #here()} writes them. */
        String process() {
            return executorId + " " + pid;
        }

        /** Reads the load count before asking the cache for the model (which loads it if this JVM never did). */
        static ExecutorReport of(String ref) {
            int loads = ExecutorModels.loadCount(ref);
            boolean decode = ExecutorModels.model(ref).cpuEngine() == io.steer4j.djl.model.CpuEngine.JAVA;
            return new ExecutorReport(SparkEnv.get().executorId(), ProcessHandle.current().pid(), loads,
                    io.steer4j.djl.model.CpuEngine.javaEngineAvailable(), decode);
        }
    }

    /** Yields the rows, then halts this JVM if it is the first to claim {@code armed} (a process dying mid-task). */
    private static final class KillAfter<T> implements java.util.Iterator<T> {
        private final java.util.Iterator<T> rows;
        private final Path armed;
        private final Path killed;

        KillAfter(List<T> rows, Path armed, Path killed) {
            this.rows = rows.iterator();
            this.armed = armed;
            this.killed = killed;
        }

        @Override
        public boolean hasNext() {
            if (rows.hasNext()) {
                return true;
            }
            try {
                if (Files.deleteIfExists(armed)) {
                    Files.writeString(killed, Long.toString(ProcessHandle.current().pid()));
                    Runtime.getRuntime().halt(57);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return false;
        }

        @Override
        public T next() {
            if (!hasNext()) {
                throw new java.util.NoSuchElementException();
            }
            return rows.next();
        }
    }
}
