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

# 3-D: eight planted sources in a volume (the 3-D filter and kernel bank), found within 0.5 voxel
# with their fluxes (15 %: in 3-D the l1 shrinkage and the noise cost up to 11 % here).
D3, H3, W3 = 32, 40, 48
zz, yy, xx = np.mgrid[0:D3, 0:H3, 0:W3]
volume_array = 20.0 + rng.normal(0.0, 1.0, (D3, H3, W3))
positions3 = [(x, y, z) for z in (10.0, 22.0) for y in (12.0, 28.0) for x in (12.0, 36.0)]
fluxes3 = rng.uniform(300.0, 600.0, len(positions3))
for (x, y, z), flux in zip(positions3, fluxes3):
    volume_array += flux * np.exp(-((xx - x) ** 2 + (yy - y) ** 2 + (zz - z) ** 2) / (2 * SIGMA ** 2)) / (
        2 * np.pi * SIGMA ** 2) ** 1.5
volume = itk.image_view_from_array(volume_array.astype(np.float32))
bank3 = itk.SourceKernelBank[itk.F, 3].New()
bank3.AddFromDescription("gauss:1.5;background:gauss:8", volume)
localization3 = itk.GroupSparseSourceLocalizationFilter[itk.Image[itk.F, 3], itk.F].New(
    volume, Dictionary=bank3.GetDictionary(), Groups=bank3.GetGroups(), Lambda=1.0, MaximumNumberOfIterations=400,
    KernelNormalization=itk.SourceLocalizationEnums.KernelNormalization_L2)
localization3.GetSourceDetector().SetDetectionThreshold(5.0)
localization3.GetSourceDetector().SetNeighborhoodRadius(2)
localization3.Update()
columns3 = list(localization3.GetSourceTableColumns())
table3 = np.array([list(row) for row in localization3.GetSourceTable()])
check(columns3[:3] == ["x", "y", "z"] and table3.shape[0] == len(positions3),
      f"3-D: {table3.shape[0]} sources found for {len(positions3)} planted, columns {columns3[:3]}")
amplitude3 = columns3.index("amplitude")
for (x, y, z), flux in zip(positions3, fluxes3):
    distance = np.sqrt((table3[:, 0] - x) ** 2 + (table3[:, 1] - y) ** 2 + (table3[:, 2] - z) ** 2)
    j = int(np.argmin(distance))
    check(distance[j] < 0.5 and abs(table3[j, amplitude3] - flux) < 0.15 * flux,
          f"3-D: source at ({x:.0f}, {y:.0f}, {z:.0f}) found {distance[j]:.2f} voxel away, flux "
          f"{table3[j, amplitude3]:.1f} of {flux:.1f}")
