/**
 * A figure bench:runtime measured but cannot stand behind (recall no correct index gives, requests
 * the host refused): the run ends on it with one line and exit 1 instead of printing it as a result.
 */
export class MeasurementError extends Error {}
