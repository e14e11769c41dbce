export * from './types';
export * from './api-error';
export * from './token-store';
export * from './rest-client';
export * from './realtime-client';
