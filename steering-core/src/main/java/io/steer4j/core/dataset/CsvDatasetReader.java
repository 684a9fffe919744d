package io.steer4j.core.dataset;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a CSV file into records following RFC 4180: comma-separated fields, optionally enclosed in double quotes;
 * inside quotes a doubled quote is a literal quote and commas and line breaks are literal; records end at CRLF or
 * LF. Each record remembers the 1-based line it starts on. Blank lines are skipped.
 */
final class CsvDatasetReader {
    /** One record's fields and the line it starts on. */
    record CsvRecord(int line, List<String> fields) {
    }

    private CsvDatasetReader() {
    }

    static List<CsvRecord> read(Path file) throws IOException {
        String text = Utf8Text.read(file);
        List<CsvRecord> records = new ArrayList<>();
        int line = 1;
        int i = 0;
        int n = text.length();
        while (i < n) {
            int recordLine = line;
            List<String> fields = new ArrayList<>();
            StringBuilder field = new StringBuilder();
            boolean endOfRecord = false;
            boolean anyContent = false;
            while (!endOfRecord) {
                if (i < n && text.charAt(i) == '"') {
                    anyContent = true;
                    int quoteLine = line;
                    i++;
                    while (true) {
                        if (i >= n) {
                            throw new DatasetFormatException(file, quoteLine, null,
                                    "unterminated quoted field (missing closing \")");
                        }
                        char c = text.charAt(i);
                        if (c == '"') {
                            if (i + 1 < n && text.charAt(i + 1) == '"') {
                                field.append('"');
                                i += 2;
                                continue;
                            }
                            i++;
                            break;
                        }
                        if (c == '\n') {
                            line++;
                        }
                        field.append(c);
                        i++;
                    }
                    if (i < n && text.charAt(i) != ',' && text.charAt(i) != '\n' && text.charAt(i) != '\r') {
                        throw new DatasetFormatException(file, line, null,
                                "unexpected character '" + text.charAt(i) + "' after a closing quote");
                    }
                } else {
                    while (i < n && text.charAt(i) != ',' && text.charAt(i) != '\n' && text.charAt(i) != '\r') {
                        field.append(text.charAt(i));
                        i++;
                    }
                }
                if (field.length() > 0) {
                    anyContent = true;
                }
                fields.add(field.toString());
                field.setLength(0);
                if (i < n && text.charAt(i) == ',') {
                    anyContent = true;
                    i++;
                } else {
                    endOfRecord = true;
                    if (i < n && text.charAt(i) == '\r') {
                        i++;
                    }
                    if (i < n && text.charAt(i) == '\n') {
                        i++;
                    }
                    line++;
                }
            }
            if (anyContent) {
                records.add(new CsvRecord(recordLine, fields));
            }
        }
        return records;
    }
}
