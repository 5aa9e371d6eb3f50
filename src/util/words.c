#include "util/words.h"

#include <string.h>

size_t kh_word_next(const char **p, const char **word, int *marked)
{
	while (**p == ' ')
		(*p)++;
	size_t len = strcspn(*p, " ");
	*word = *p;
	*p += len;
	int bang = len && (*word)[len - 1] == '!';
	if (marked)
		*marked = bang;
	return len - (size_t)bang;
}

int kh_words_has(const char *list, const char *key)
{
	size_t n = strlen(key), len;
	const char *word;
	while ((len = kh_word_next(&list, &word, NULL)) || *list)
		if (len == n && !strncmp(word, key, n))
			return 1;
	return 0;
}

void kh_words_join(const char *list, const char *sep, struct kh_buf *out)
{
	const char *word;
	int first = 1;
	for (size_t len; (len = kh_word_next(&list, &word, NULL)) || *list; first = 0)
		kh_buf_addf(out, "%s%.*s", first ? "" : sep, (int)len, word);
}
