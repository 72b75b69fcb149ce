#ifndef itkMemoryEstimate_h
#define itkMemoryEstimate_h

#include "itkMacro.h"
#include <sys/resource.h>
#include <unistd.h>
#include <cmath>
#include <sstream>
#include <string>

namespace itk
{
/** The memory a process may use here, in bytes: the physical memory, or the address-space
 * limit (ulimit -v) when that is lower; 0 when unknown.
 * \ingroup ConvolutionalSparseCoding */
inline double
AvailableMemoryBytes()
{
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long pageSize = sysconf(_SC_PAGE_SIZE);
  double     bytes = pages > 0 && pageSize > 0 ? double(pages) * double(pageSize) : 0.0;
  rlimit     limit{};
  if (getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
  {
    bytes = bytes > 0 ? std::min(bytes, double(limit.rlim_cur)) : double(limit.rlim_cur);
  }
  return bytes;
}

/** Throws, before anything is allocated, when a run estimated to need \c bytes would not fit
 * in the memory available; \c what names the parameters that set the size.
 * \ingroup ConvolutionalSparseCoding */
inline void
CheckMemoryEstimate(double bytes, const std::string & what)
{
  const double available = AvailableMemoryBytes();
  if (!std::isfinite(bytes) || (available > 0 && bytes > 0.9 * available))
  {
    std::ostringstream message;
    message.precision(3);
    message << what << " needs about " << bytes / double(1 << 30) << " GiB of memory, more than 90% of the "
            << available / double(1 << 30) << " GiB this machine allows a process: reduce it";
    throw ExceptionObject(__FILE__, __LINE__, message.str(), ITK_LOCATION);
  }
}
} // namespace itk

#endif
