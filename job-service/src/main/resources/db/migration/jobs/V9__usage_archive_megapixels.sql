-- Megapixels are BFL's, of 1024 x 1024 pixels (common's Megapixels); rows archived before counted a million
-- pixels, and usage adds them to live jobs' megapixels.
update jobs.usage_archive set megapixels = megapixels * 1000000 / 1048576;
