// Tables, tensors and indexes hold float32: a double beyond its range is stored as Infinity, and
// one infinite input turns a loss or an embedding into NaN. Inputs are checked against this at the
// door, where the message can still name the value.

export const FLOAT32_MAX = 3.4028234663852886e38;

/** Whether float32 holds `v` as a finite number (values that round to the largest one do). */
export const fitsFloat32 = (v: number): boolean => Number.isFinite(Math.fround(v));

export const BEYOND_FLOAT32 = "is beyond float32's range (at most 3.4e38)";

/**
 * The squared length under which a vector ranks nothing against unit-length items: usearch scores
 * ip as 1 - dot in float32, whose steps near 1 are 6e-8, so a query of length 1e-4 still gets
 * about 3,000 distinct scores, and one of 5e-8 (a collapsed tower's output) a single one: its
 * "results" are an arbitrary slice of the index, as a zero vector's are.
 */
export const MIN_RANKING_SQUARED_LENGTH = 1e-8;
