// The parts of @roamhq/wrtc 0.10.0 (libwebrtc M106; no types of its own) this strategy uses: the
// standard classes as the DOM library types them, plus its `nonstandard` audio source and sink
// (lib/index.js; the sink hands out what libwebrtc's playout produced, 10 ms at a time).
declare module '@roamhq/wrtc' {
  export interface AudioData {
    samples: Int16Array; sampleRate: number; bitsPerSample: 16; channelCount: number; numberOfFrames: number;
  }
  export class RTCAudioSource {
    createTrack(): MediaStreamTrack;
    onData(data: AudioData): void;
  }
  export class RTCAudioSink {
    constructor(track: MediaStreamTrack);
    ondata: ((data: AudioData) => void) | null;
    stop(): void;
  }
  const wrtc: {
    RTCPeerConnection: typeof globalThis.RTCPeerConnection;
    nonstandard: { RTCAudioSource: typeof RTCAudioSource; RTCAudioSink: typeof RTCAudioSink };
  };
  export default wrtc;
}
