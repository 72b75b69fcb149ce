"""GroupSparseSourceLocalizationFilter from Python: planted Gaussian sources on a smooth
background and noise are found at their positions with their fluxes, and the source table
agrees with the maps; float and double."""
import itk
import numpy as np

from csc_test_support import check

rng = np.random.default_rng(7)
H, W, SIGMA = 96, 128, 1.5
yy, xx = np.mgrid[0:H, 0:W]
background = 20.0 * (1.0 + 0.3 * np.sin(2 * np.pi * xx / W)) * (1.0 + 0.3 * np.sin(2 * np.pi * yy / H))
positions = [(x, y) for y in (20.0, 48.0, 76.0) for x in (20.0, 50.0, 80.0, 110.0)]
fluxes = rng.uniform(150.0, 400.0, len(positions))
image_array = background + rng.normal(0.0, 1.0, (H, W))
for (x, y), flux in zip(positions, fluxes):
    image_array += flux * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * SIGMA ** 2)) / (2 * np.pi * SIGMA ** 2)

for pixel, dtype in ((itk.F, np.float32), (itk.D, np.float64)):
    image = itk.image_view_from_array(image_array.astype(dtype))
    bank = itk.SourceKernelBank[pixel, 2].New()
    bank.AddFromDescription("gauss:1.5;background:gauss:16", image)
    check(bank.GetNumberOfKernels() == 2, f"{pixel}: the bank has a source and a background kernel")
    localization = itk.GroupSparseSourceLocalizationFilter[itk.Image[pixel, 2], pixel].New()
    localization.SetInput(image)
    localization.SetDictionary(bank.GetDictionary())
    localization.SetGroups(bank.GetGroups())
    localization.SetKernelNormalization(itk.SourceLocalizationEnums.KernelNormalization_L2)
    localization.SetLambda(1.0)
    localization.SetMaximumNumberOfIterations(400)
    localization.SetRelativeTolerance(1e-4)
    localization.GetSourceDetector().SetDetectionThreshold(5.0)
    localization.GetSourceDetector().SetNeighborhoodRadius(2)  # the flux sums the coefficients' spread
    localization.Update()
    columns = list(localization.GetSourceTableColumns())
    table = np.array([list(row) for row in localization.GetSourceTable()])
    check(columns[:2] == ["x", "y"] and "amplitude" in columns, f"{pixel}: table columns {columns}")
    check(table.shape == (len(positions), len(columns)),
          f"{pixel}: {table.shape[0]} sources found for {len(positions)} planted")
    amplitude = columns.index("amplitude")
    for (x, y), flux in zip(positions, fluxes):
        distance = np.hypot(table[:, 0] - x, table[:, 1] - y)
        j = int(np.argmin(distance))
        check(distance[j] < 0.5 and abs(table[j, amplitude] - flux) < 0.1 * flux,
              f"{pixel}: source at ({x:.0f}, {y:.0f}) found {distance[j]:.2f} px away, flux "
              f"{table[j, amplitude]:.1f} of {flux:.1f}")
    source_map = itk.array_from_image(localization.GetSourceMap())
    check(source_map.shape == (H, W), f"{pixel}: the source map has the image's shape")
    found_background = itk.array_from_image(localization.GetBackground())
    check(abs(found_background.mean() / background.mean() - 1.0) < 0.1,
          f"{pixel}: the background output carries the smooth background "
          f"({found_background.mean():.2f} of {background.mean():.2f})")
