// Minimal types for the parts of twitter-text (CommonJS, untyped) that Herald uses to measure posts for X.

declare module 'twitter-text' {
  interface TwitterTextConfig {
    version: number;
    maxWeightedTweetLength: number;
    scale: number;
    defaultWeight: number;
    emojiParsingEnabled?: boolean;
    transformedURLLength: number;
    ranges: { start: number; end: number; weight: number }[];
  }

  interface ParsedTweet {
    /** Length as X counts it: URLs 23, CJK and emoji 2, most Latin 1. */
    weightedLength: number;
    /** Non-empty, within `maxWeightedTweetLength`, no invalid characters. */
    valid: boolean;
    permillage: number;
    validRangeStart: number;
    validRangeEnd: number;
    displayRangeStart: number;
    displayRangeEnd: number;
  }

  interface UrlEntity {
    url: string;
    /** UTF-16 offsets into the text: [start, end). */
    indices: [number, number];
  }

  const twitterText: {
    configs: { defaults: TwitterTextConfig };
    parseTweet(text: string, config?: TwitterTextConfig): ParsedTweet;
    extractUrlsWithIndices(text: string, options?: { extractUrlsWithoutProtocol?: boolean }): UrlEntity[];
  };

  export = twitterText;
}
