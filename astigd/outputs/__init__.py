"""Result files for other programs and for people: CTFFIND text, diagnostic pictures."""
