import unittest

import torch

from flux2_tools.sampling import empirical_mu, get_schedule, image_ids, pack, reference_ids, text_ids, unpack


class ScheduleTest(unittest.TestCase):
    def test_1024_50_steps(self):
        self.assertAlmostEqual(empirical_mu(4096, 50), 2.023, places=3)
        s = get_schedule(50, 4096)
        self.assertEqual(len(s), 51)
        self.assertEqual(s[0], 1.0)
        self.assertAlmostEqual(s[1], 0.9973, places=4)
        self.assertAlmostEqual(s[2], 0.9945, places=4)
        self.assertAlmostEqual(s[-3], 0.2396, places=4)
        self.assertAlmostEqual(s[-2], 0.1337, places=4)
        self.assertEqual(s[-1], 0.0)

    def test_1024_4_steps(self):
        self.assertAlmostEqual(empirical_mu(4096, 4), 2.291, places=3)
        for got, want in zip(get_schedule(4, 4096), [1.0, 0.9674, 0.9081, 0.7672, 0.0]):
            self.assertAlmostEqual(got, want, places=4)

    def test_other_worked_values(self):
        self.assertAlmostEqual(empirical_mu(4096, 28), 2.151, places=3)
        for got, want in zip(get_schedule(4, 1024), [1.0, 0.9581, 0.884, 0.7175, 0.0]):
            self.assertAlmostEqual(got, want, places=4)
        self.assertAlmostEqual(empirical_mu(16384, 4), 3.230, places=3)
        self.assertAlmostEqual(empirical_mu(16384, 50), 3.230, places=3)

    def test_cliff_at_4300(self):
        self.assertAlmostEqual(empirical_mu(4300, 4), 2.308, places=3)
        self.assertAlmostEqual(empirical_mu(4301, 4), 1.185, places=3)

    def test_monotone(self):
        s = get_schedule(8, 64)
        self.assertTrue(all(a > b for a, b in zip(s, s[1:])))


class IdsAndPackingTest(unittest.TestCase):
    def test_image_ids_row_major(self):
        ids = image_ids(2, 3)
        self.assertEqual(ids.dtype, torch.long)
        self.assertEqual(ids.tolist(), [[0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 2, 0],
                                        [0, 1, 0, 0], [0, 1, 1, 0], [0, 1, 2, 0]])

    def test_reference_ids(self):
        self.assertEqual(reference_ids(0, 1, 2).tolist(), [[10, 0, 0, 0], [10, 0, 1, 0]])
        self.assertEqual(reference_ids(2, 2, 1).tolist(), [[30, 0, 0, 0], [30, 1, 0, 0]])

    def test_text_ids(self):
        ids = text_ids(512)
        self.assertEqual(ids.shape, (512, 4))
        self.assertEqual(ids[5].tolist(), [0, 0, 0, 5])
        self.assertEqual(ids[:, :3].abs().sum().item(), 0)

    def test_pack_row_major_and_round_trip(self):
        lat = torch.randn(2, 128, 3, 5)
        tok = pack(lat)
        self.assertEqual(tok.shape, (2, 15, 128))
        # token index = row * w + col
        self.assertTrue(torch.equal(tok[1, 2 * 5 + 4], lat[1, :, 2, 4]))
        self.assertTrue(torch.equal(unpack(tok, 3, 5), lat))
        with self.assertRaises(ValueError):
            unpack(tok, 5, 5)


if __name__ == "__main__":
    unittest.main()
