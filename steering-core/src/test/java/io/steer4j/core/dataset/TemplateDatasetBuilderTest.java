package io.steer4j.core.dataset;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TemplateDatasetBuilderTest {
    @Test
    void expandsSuffixesOuterAndPersonaPairsInnerAsRepengDoes() {
        ContrastiveDataset ds = new TemplateDatasetBuilder()
                .name("mood")
                .template("Act {persona}. {suffix}")
                .personaPair("happy", "sad")
                .personaPair("calm", "angry")
                .suffixes(List.of("I", "You"))
                .build();
        assertEquals("mood", ds.name());
        assertEquals(List.of(
                new ContrastivePair("Act happy. I", "Act sad. I"),
                new ContrastivePair("Act calm. I", "Act angry. I"),
                new ContrastivePair("Act happy. You", "Act sad. You"),
                new ContrastivePair("Act calm. You", "Act angry. You")), ds.pairs());
    }

    @Test
    void templateWithoutSuffixGivesOnePairPerPersonaPair() {
        ContrastiveDataset ds = new TemplateDatasetBuilder().template("I am {persona}").personaPair("kind", "cruel").build();
        assertEquals(List.of(new ContrastivePair("I am kind", "I am cruel")), ds.pairs());
    }

    @Test
    void placeholdersInsideSubstitutedTextAreLiteral() {
        ContrastiveDataset ds = new TemplateDatasetBuilder().template("{persona}|{suffix}")
                .personaPair("a{suffix}", "b").suffixes(List.of("{persona}")).build();
        assertEquals(new ContrastivePair("a{suffix}|{persona}", "b|{persona}"), ds.pairs().get(0));
    }

    @Test
    void templateMustContainThePersonaPlaceholder() {
        assertThrows(IllegalArgumentException.class,
                () -> new TemplateDatasetBuilder().template("no placeholder").personaPair("a", "b").build());
    }

    @Test
    void suffixPlaceholderNeedsSuffixes() {
        assertThrows(IllegalArgumentException.class,
                () -> new TemplateDatasetBuilder().template("{persona} {suffix}").personaPair("a", "b").build());
    }

    @Test
    void suffixesNeedASuffixPlaceholder() {
        assertThrows(IllegalArgumentException.class, () -> new TemplateDatasetBuilder().template("{persona}")
                .personaPair("a", "b").suffixes(List.of("x")).build());
    }

    @Test
    void atLeastOnePersonaPairIsNeeded() {
        assertThrows(IllegalArgumentException.class,
                () -> new TemplateDatasetBuilder().template("{persona}").build());
    }
}
