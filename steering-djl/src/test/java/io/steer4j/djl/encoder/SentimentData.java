package io.steer4j.djl.encoder;

import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.dataset.ContrastivePair;

import java.util.List;

/**
 * Texts for the steering-semantics tests. TUNING data computes vectors and chooses layer and strength; every
 * assertion is made on the HELD_OUT lists, which share no sentence with the tuning data.
 */
final class SentimentData {
    private SentimentData() {
    }

    /** Tuning: contrastive review pairs (positive first). */
    static final ContrastiveDataset TUNING_PAIRS = new ContrastiveDataset("review-sentiment-tuning", List.of(
            new ContrastivePair("The pasta was delicious and the staff were lovely.",
                    "The pasta was disgusting and the staff were rude."),
            new ContrastivePair("I loved this phone, the battery lasts for days.",
                    "I hated this phone, the battery dies within hours."),
            new ContrastivePair("A brilliant film with a moving story.", "A dreadful film with a boring story."),
            new ContrastivePair("The hotel room was spotless and comfortable.",
                    "The hotel room was filthy and uncomfortable."),
            new ContrastivePair("Fantastic customer service, they solved my problem quickly.",
                    "Terrible customer service, they never solved my problem."),
            new ContrastivePair("This book was a joy to read.", "This book was a chore to read."),
            new ContrastivePair("The concert was amazing, best night of the year.",
                    "The concert was awful, worst night of the year."),
            new ContrastivePair("Great value for money, highly recommended.", "Poor value for money, avoid it."),
            new ContrastivePair("The shoes are comfortable and well made.", "The shoes are painful and badly made."),
            new ContrastivePair("Our guide was friendly and knowledgeable.", "Our guide was unfriendly and clueless."),
            new ContrastivePair("The update made the app faster and smoother.",
                    "The update made the app slower and buggier."),
            new ContrastivePair("What a pleasant surprise, I am delighted.", "What an unpleasant surprise, I am upset.")));

    /** Tuning: neutral sentences steered while choosing layer and strength. */
    static final List<String> TUNING_NEUTRAL = List.of("The package arrived on Tuesday.",
            "The restaurant is on the corner of the street.", "I watched the film last night.",
            "The phone has a six-inch screen.", "We stayed at the hotel for three nights.");

    /** Held-out: neutral sentences whose embeddings are steered. */
    static final List<String> HELD_OUT_NEUTRAL = List.of("The train leaves the station at nine.",
            "She ordered a coffee and a sandwich.", "The laptop comes with two USB ports.",
            "The museum opens at ten in the morning.", "He read the report during lunch.",
            "The store sells shoes and bags.", "They moved to a new apartment in May.",
            "The meeting was held in the main office.");

    /** Held-out: reviews that define the poles (and train and test the probes). */
    static final List<String> HELD_OUT_POSITIVE = List.of("Absolutely wonderful meal, every dish was perfect.",
            "I really enjoyed my stay, the view was breathtaking.", "Superb quality, I am very happy with it.",
            "The teacher was kind, patient and inspiring.", "Lovely little cafe with excellent cakes.",
            "This game is incredibly fun and beautifully designed.", "The doctor was caring and reassuring.",
            "Fast delivery and the product works perfectly.", "A heartwarming movie that made me smile.",
            "The new park is clean, green and delightful.", "My new bike is a pleasure to ride.",
            "The workshop was inspiring and very well organised.");

    static final List<String> HELD_OUT_NEGATIVE = List.of("Absolutely horrible meal, every dish was inedible.",
            "I really regretted my stay, the room smelled awful.", "Shoddy quality, I am very unhappy with it.",
            "The teacher was harsh, impatient and dull.", "Dreary little cafe with stale cakes.",
            "This game is incredibly frustrating and ugly.", "The doctor was dismissive and cold.",
            "Late delivery and the product broke immediately.", "A depressing movie that made me miserable.",
            "The new park is dirty, noisy and unpleasant.", "My new bike is a nightmare to ride.",
            "The workshop was tedious and badly organised.");

    /** Tuning: unrelated sentence pairs whose similarity ranking must survive steering. */
    static final List<String[]> TUNING_PAIRS_RANKING = List.of(
            new String[] {"The cat sat on the mat.", "A kitten was sitting on the rug."},
            new String[] {"The cat sat on the mat.", "Interest rates rose again."},
            new String[] {"How do I bake bread?", "What is a good recipe for a loaf?"},
            new String[] {"How do I bake bread?", "The volcano erupted overnight."},
            new String[] {"The river flooded the valley.", "Heavy rains caused the river to overflow."},
            new String[] {"The river flooded the valley.", "She plays the violin."});

    /** Held-out: pairs of graded similarity (paraphrases, related, unrelated). */
    static final List<String[]> HELD_OUT_RANKING = List.of(
            new String[] {"A man is playing a guitar.", "Someone is strumming a guitar."},
            new String[] {"A man is playing a guitar.", "A woman is singing on stage."},
            new String[] {"A man is playing a guitar.", "The stock market closed lower."},
            new String[] {"The children are swimming in the lake.", "Kids are splashing around in the water."},
            new String[] {"The children are swimming in the lake.", "The boat sailed across the sea."},
            new String[] {"The children are swimming in the lake.", "The printer is out of ink."},
            new String[] {"The spacecraft landed on Mars.", "A rover touched down on the red planet."},
            new String[] {"The spacecraft landed on Mars.", "Astronomers observed a distant galaxy."},
            new String[] {"The spacecraft landed on Mars.", "He cooked rice for dinner."},
            new String[] {"The bank approved the loan.", "The lender granted him the mortgage."},
            new String[] {"The bank approved the loan.", "Taxes will increase next year."},
            new String[] {"The bank approved the loan.", "The dog chased the ball."},
            new String[] {"Vaccines prevent many diseases.", "Immunisation protects people from illness."},
            new String[] {"Vaccines prevent many diseases.", "The hospital hired new nurses."},
            new String[] {"Vaccines prevent many diseases.", "The train was delayed by snow."});

    /** Held-out retrieval: query i's document is document i. */
    static final List<String> RETRIEVAL_QUERIES = List.of("how to fix a flat bicycle tyre",
            "symptoms of the flu", "best time to visit Japan", "how do solar panels work",
            "recipe for tomato soup", "history of the Roman empire", "how to learn a new language quickly",
            "why is the sky blue", "how to train a puppy", "what causes earthquakes");

    static final List<String> RETRIEVAL_DOCS = List.of(
            "Remove the wheel, find the puncture, patch the inner tube and reinflate it.",
            "Influenza usually brings fever, cough, sore throat and aching muscles.",
            "Spring cherry blossom and autumn foliage make March and November popular for travel to Japan.",
            "Photovoltaic cells turn sunlight into electric current.",
            "Simmer tomatoes with onion and garlic, then blend until smooth.",
            "Rome grew from a city-state into an empire that ruled the Mediterranean for centuries.",
            "Daily practice, spaced repetition and speaking with natives speed up language learning.",
            "Air molecules scatter short blue wavelengths of sunlight more than red ones.",
            "Reward good behaviour with treats and keep training sessions short and consistent.",
            "Tectonic plates slipping along faults release energy as seismic waves.");
}
