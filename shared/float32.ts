// Tables, tensors and indexes hold float32: a double beyond its range is stored as Infinity, and
// one infinite input turns a loss or an embedding into NaN. Inputs are checked against this at the
// door, where the message can still name the value.

export const FLOAT32_MAX = 3.4028234663852886e38;

/** Whether float32 holds `v` as a finite number (values that round to the largest one do). */
export const fitsFloat32 = (v: number): boolean => Number.isFinite(Math.fround(v));

export const BEYOND_FLOAT32 = "is beyond float32's range (at most 3.4e38)";
