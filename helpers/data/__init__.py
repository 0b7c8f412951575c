"""Data sets, corpora and tokenizers the course makes itself (COURSE.md §6).

One module per data set; nothing is downloaded at run time.
"""
