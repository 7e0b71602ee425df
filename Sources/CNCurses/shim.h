#ifndef SKOOP_CNCURSES_SHIM_H
#define SKOOP_CNCURSES_SHIM_H
// Wide-character ncurses: these must be defined before <ncurses.h> so cchar_t and
// the *_wch functions are declared.
#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <ncursesw/ncurses.h>

// Macros and globals that do not import into Swift (or trip Swift 6 concurrency checks)
// are reached through these small functions.
static inline WINDOW *skoop_stdscr(void) { return stdscr; }
static inline int skoop_lines(void) { return LINES; }
static inline int skoop_cols(void) { return COLS; }
static inline int skoop_colors(void) { return COLORS; }
static inline attr_t skoop_a_bold(void) { return A_BOLD; }
static inline attr_t skoop_a_reverse(void) { return A_REVERSE; }
static inline attr_t skoop_a_underline(void) { return A_UNDERLINE; }
static inline attr_t skoop_a_dim(void) { return A_DIM; }
static inline attr_t skoop_color_pair(int n) { return COLOR_PAIR(n); }
static inline int skoop_key_resize(void) { return KEY_RESIZE; }
static inline int skoop_key_mouse(void) { return KEY_MOUSE; }
static inline int skoop_err(void) { return ERR; }
static inline int skoop_set_locale(void) { return setlocale(LC_ALL, "") != NULL; }
static inline int skoop_addnwstr(int y, int x, const wchar_t *s, int n) { return mvaddnwstr(y, x, s, n); }
static inline int skoop_attron(attr_t a) { return attron(a); }
static inline int skoop_attroff(attr_t a) { return attroff(a); }
static inline int skoop_attrset(attr_t a) { return attrset(a); }
// Added for the SkoopTUI backend.
#include <langinfo.h>
#include <string.h>
#include <stdio.h>
static inline int skoop_locale_is_utf8(void) {
    const char *codeset = nl_langinfo(CODESET);
    return codeset != NULL && (strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0);
}
// newterm instead of initscr: it returns NULL for an unknown $TERM instead of exiting.
static inline SCREEN *skoop_newterm(void) { return newterm(NULL, stdout, stdin); }
static inline int skoop_key_code_yes(void) { return KEY_CODE_YES; }
static inline void skoop_enable_mouse(void) {
    mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    mouseinterval(0);
}
// 1: left button at (*y, *x); 4: wheel up; 5: wheel down; 0: anything else.
static inline int skoop_mouse_event(int *y, int *x) {
    MEVENT event;
    if (getmouse(&event) != OK) return 0;
    if (event.bstate & BUTTON4_PRESSED) return 4;
    if (event.bstate & BUTTON5_PRESSED) return 5;
    if (event.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED)) { *y = event.y; *x = event.x; return 1; }
    return 0;
}
#endif
