"""Course content and its rules: categories, courses, sections, lessons, thumbnails, ownership."""
