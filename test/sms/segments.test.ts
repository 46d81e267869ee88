import { describe, expect, it } from 'vitest';
import { countCharacters, countSegments, MAX_BODY_LENGTH } from '../../src/sms/index.js';

const emoji = '😘';

describe('countSegments', () => {
  describe('field cases', () => {
    it('counts extension characters as one unit under UCS-2', () => {
      const body = `${'|'.repeat(69)}∞`;

      expect(countSegments(body)).toEqual({ encoding: 'UCS-2', segments: 1, units: 70 });
    });

    it('splits 161 septets into two segments', () => {
      const body = `${'a'.repeat(159)}€`;

      expect(countSegments(body)).toEqual({ encoding: 'GSM-7', segments: 2, units: 161 });
    });

    it('fits 160 septets with a euro sign in one segment', () => {
      const body = `${'a'.repeat(158)}€`;

      expect(countSegments(body)).toEqual({ encoding: 'GSM-7', segments: 1, units: 160 });
    });

    it('keeps CR and LF in GSM-7', () => {
      expect(countSegments('Line1\r\nLine2')).toEqual({
        encoding: 'GSM-7',
        segments: 1,
        units: 12,
      });
    });

    it('counts an emoji as two UCS-2 units', () => {
      const body = `this is a ${']'.repeat(75)}${emoji}`;

      expect(countSegments(body)).toEqual({ encoding: 'UCS-2', segments: 2, units: 87 });
    });
  });

  describe('GSM-7 boundaries', () => {
    it('fits 160 characters in one segment', () => {
      expect(countSegments('a'.repeat(160)).segments).toBe(1);
    });

    it('splits 161 characters into two segments', () => {
      expect(countSegments('a'.repeat(161)).segments).toBe(2);
    });

    it('fits 306 characters in two segments', () => {
      expect(countSegments('a'.repeat(153 * 2)).segments).toBe(2);
    });

    it('splits 307 characters into three segments', () => {
      expect(countSegments('a'.repeat(153 * 2 + 1)).segments).toBe(3);
    });

    it('moves an escape pair that would straddle parts', () => {
      // 306 septets divide into 2 parts of 153, but `€` cannot start at septet 153 of part one.
      const body = `${'a'.repeat(152)}€${'a'.repeat(152)}`;

      expect(countSegments(body)).toEqual({ encoding: 'GSM-7', segments: 3, units: 306 });
    });

    it('keeps an escape pair that ends a part', () => {
      const body = `${'a'.repeat(151)}€${'a'.repeat(153)}`;

      expect(countSegments(body)).toEqual({ encoding: 'GSM-7', segments: 2, units: 306 });
    });

    it('counts a lone euro sign as two septets', () => {
      expect(countSegments('€')).toEqual({ encoding: 'GSM-7', segments: 1, units: 2 });
    });

    it.each([['\f'], ['^'], ['{'], ['}'], ['\\'], ['['], ['~'], [']'], ['|'], ['€']])(
      'counts extension character %j as two septets',
      (character) => {
        expect(countSegments(character)).toEqual({ encoding: 'GSM-7', segments: 1, units: 2 });
      },
    );

    it('counts the whole basic table as one septet each', () => {
      const basic =
        '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
        '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

      expect(basic.length).toBe(127);
      expect(countSegments(basic)).toEqual({ encoding: 'GSM-7', segments: 1, units: 127 });
    });

    it('counts capital C cedilla as GSM-7', () => {
      expect(countSegments('Ç').encoding).toBe('GSM-7');
    });

    it('counts small c cedilla as UCS-2', () => {
      expect(countSegments('ç').encoding).toBe('UCS-2');
    });
  });

  describe('UCS-2 boundaries', () => {
    it('switches to UCS-2 for a backtick', () => {
      expect(countSegments('run `make`')).toEqual({ encoding: 'UCS-2', segments: 1, units: 10 });
    });

    it.each([['\u00a0'], ['á'], ['“'], ['–'], ['Ж'], ['\t'], ['\u001b']])(
      'switches to UCS-2 for %j',
      (character) => {
        expect(countSegments(`Hello ${character}`).encoding).toBe('UCS-2');
      },
    );

    it('fits 70 units in one segment', () => {
      expect(countSegments('Ж'.repeat(70)).segments).toBe(1);
    });

    it('splits 71 units into two segments', () => {
      expect(countSegments('Ж'.repeat(71)).segments).toBe(2);
    });

    it('fits 134 units in two segments', () => {
      expect(countSegments('Ж'.repeat(67 * 2)).segments).toBe(2);
    });

    it('splits 135 units into three segments', () => {
      expect(countSegments('Ж'.repeat(67 * 2 + 1)).segments).toBe(3);
    });

    it('moves an emoji that would straddle parts', () => {
      // 134 units divide into 2 parts of 67, but the surrogate pair cannot start at unit 67.
      const body = `${'a'.repeat(66)}${emoji}${'a'.repeat(66)}`;

      expect(countSegments(body)).toEqual({ encoding: 'UCS-2', segments: 3, units: 134 });
    });

    it('keeps an emoji that ends a part', () => {
      const body = `${'a'.repeat(65)}${emoji}${'a'.repeat(67)}`;

      expect(countSegments(body)).toEqual({ encoding: 'UCS-2', segments: 2, units: 134 });
    });

    it('fits 35 emoji in one segment', () => {
      expect(countSegments(emoji.repeat(35))).toEqual({
        encoding: 'UCS-2',
        segments: 1,
        units: 70,
      });
    });
  });

  it('counts an empty body as zero segments', () => {
    expect(countSegments('')).toEqual({ encoding: 'GSM-7', segments: 0, units: 0 });
  });
});

describe('countCharacters', () => {
  it('counts an emoji as one character', () => {
    expect(countCharacters(`hi ${emoji}`)).toBe(4);
  });

  it('counts a lone surrogate as one character', () => {
    expect(countCharacters('\ud83d')).toBe(1);
  });

  it('limits bodies to 1600 characters', () => {
    expect(MAX_BODY_LENGTH).toBe(1600);
  });
});
