// How a feature value's text is read, one rule for the trainer's tables and the runtime's requests:
// the whitespace around it is no part of it. The CSV reader trims its cells, while pandas'
// read_csv, a JSONL table and a client keep " NA" and "tv " as written: read one way in training
// and another in serving, one user would have two embeddings.

/** A categorical value's text, or a text tested for a missing value: trimmed, as String.trim does. */
export const featureText = (text: string): string => text.trim();
