import { countStorageRequest, linkCallTally, openCallTally } from './call-tally.js';

describe('call tally', () => {
  it('counts requests sent with the call signal, and only those', () => {
    const call = new AbortController().signal;
    const other = new AbortController().signal;
    const tally = openCallTally(call);
    countStorageRequest(call);
    countStorageRequest(call);
    countStorageRequest(other);
    countStorageRequest(undefined);
    expect(tally.storageRequests).toBe(2);
  });

  it('returns the open tally when opened twice', () => {
    const call = new AbortController().signal;
    const tally = openCallTally(call);
    countStorageRequest(call);
    expect(openCallTally(call)).toBe(tally);
    expect(tally.storageRequests).toBe(1);
  });

  it('counts requests sent with a linked child signal into the parent call', () => {
    const call = new AbortController().signal;
    const child = new AbortController().signal;
    const tally = openCallTally(call);
    linkCallTally(child, call);
    countStorageRequest(child);
    expect(tally.storageRequests).toBe(1);
  });

  it('links nothing when the parent has no tally', () => {
    const parent = new AbortController().signal;
    const child = new AbortController().signal;
    linkCallTally(child, parent);
    linkCallTally(child, undefined);
    countStorageRequest(child);
    expect(openCallTally(child).storageRequests).toBe(0);
  });
});
