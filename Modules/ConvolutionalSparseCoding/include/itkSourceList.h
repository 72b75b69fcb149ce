#ifndef itkSourceList_h
#define itkSourceList_h

#include "itkContinuousIndex.h"
#include "itkPoint.h"
#include "itkPointSet.h"
#include "itkVector.h"
#include <iomanip>
#include <ostream>
#include <string>
#include <vector>

namespace itk
{
/** One source reported by source localization: its sub-pixel position as a continuous index
 * and as a physical point, brightness (flux), group, effective size and signal-to-noise ratio.
 * \ingroup ConvolutionalSparseCoding */
template <unsigned int VDimension>
struct LocalizedSource
{
  itk::Point<double, VDimension>      Point;
  ContinuousIndex<double, VDimension> Index;
  double                              Brightness{ 0 };
  unsigned int                        Group{ 0 };
  double                              EffectiveSize{ 0 };
  double                              SignalToNoise{ 0 };
};

/** Detections (anything with Index in the image's index space, Brightness, Group,
 * EffectiveSize, SignalToNoise) as sources of \c image, with physical points. */
template <typename TImage, typename TDetectionList>
std::vector<LocalizedSource<TImage::ImageDimension>>
LocalizeDetections(const TImage & image, const TDetectionList & detections)
{
  std::vector<LocalizedSource<TImage::ImageDimension>> sources;
  for (const auto & detection : detections)
  {
    LocalizedSource<TImage::ImageDimension> source;
    for (unsigned int d = 0; d < TImage::ImageDimension; ++d)
    {
      source.Index[d] = detection.Index[d];
    }
    source.Brightness = detection.Brightness;
    source.Group = detection.Group;
    source.EffectiveSize = detection.EffectiveSize;
    source.SignalToNoise = detection.SignalToNoise;
    image.TransformContinuousIndexToPhysicalPoint(source.Index, source.Point);
    sources.push_back(source);
  }
  return sources;
}

/** A source list as a point set (physical points); point data: brightness, group, effective
 * size, signal-to-noise ratio. */
template <unsigned int VDimension>
typename PointSet<Vector<double, 4>, VDimension>::Pointer
MakeSourcePointSet(const std::vector<LocalizedSource<VDimension>> & sources)
{
  using PointSetType = PointSet<Vector<double, 4>, VDimension>;
  auto pointSet = PointSetType::New();
  for (size_t i = 0; i < sources.size(); ++i)
  {
    const LocalizedSource<VDimension> & source = sources[i];
    typename PointSetType::PointType    point;
    typename PointSetType::PixelType    data;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      point[d] = source.Point[d];
    }
    data[0] = source.Brightness;
    data[1] = source.Group;
    data[2] = source.EffectiveSize;
    data[3] = source.SignalToNoise;
    pointSet->SetPoint(i, point);
    pointSet->SetPointData(i, data);
  }
  return pointSet;
}

/** The columns of a source table: x, y[, z...] (index coordinates), physical_x... (physical
 * coordinates), amplitude (brightness), group, size, snr. */
template <unsigned int VDimension>
std::vector<std::string>
SourceTableColumns()
{
  const char * axes[] = { "x", "y", "z", "t" };
  auto         axis = [&axes](unsigned int d) { return d < 4 ? std::string(axes[d]) : "axis" + std::to_string(d); };
  std::vector<std::string> columns;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    columns.push_back(axis(d));
  }
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    columns.push_back("physical_" + axis(d));
  }
  for (const char * name : { "amplitude", "group", "size", "snr" })
  {
    columns.emplace_back(name);
  }
  return columns;
}

/** One row per source, in the order of SourceTableColumns(): the form the Python wrapping
 * returns (a list of lists, or numpy.array(table)). */
template <unsigned int VDimension>
std::vector<std::vector<double>>
MakeSourceTable(const std::vector<LocalizedSource<VDimension>> & sources)
{
  std::vector<std::vector<double>> table;
  table.reserve(sources.size());
  for (const auto & source : sources)
  {
    std::vector<double> row;
    row.reserve(2 * VDimension + 4);
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      row.push_back(source.Index[d]);
    }
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      row.push_back(source.Point[d]);
    }
    row.insert(row.end(), { source.Brightness, double(source.Group), source.EffectiveSize, source.SignalToNoise });
    table.push_back(std::move(row));
  }
  return table;
}

/** CSV with a header: the columns of SourceTableColumns(). */
template <unsigned int VDimension>
void
WriteSourceListCSV(std::ostream & os, const std::vector<LocalizedSource<VDimension>> & sources)
{
  const std::vector<std::string> columns = SourceTableColumns<VDimension>();
  for (size_t c = 0; c < columns.size(); ++c)
  {
    os << columns[c] << (c + 1 < columns.size() ? "," : "\n");
  }
  os << std::setprecision(10);
  for (const auto & row : MakeSourceTable<VDimension>(sources))
  {
    for (size_t c = 0; c < row.size(); ++c)
    {
      os << row[c] << (c + 1 < row.size() ? "," : "\n");
    }
  }
}
} // namespace itk

#endif
