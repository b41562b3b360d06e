/** The engine layer: clock, events, randomness. */
export * from './engine.js';
export * from './prng.js';
